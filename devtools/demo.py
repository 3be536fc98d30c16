"""Demo people, accounts and tickets in every state, created through the services so they carry history.

Running it again creates nothing new: people and accounts are looked up by name, tickets by title.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from escalations import roles, services
from escalations.models import Account, Severity, Ticket, Tier

DEMO_PASSWORD = "demo-desk-2026"


@dataclass(frozen=True)
class DemoPerson:
    username: str
    role: str
    tier_level: int | None = None
    is_staff: bool = False


PEOPLE = [
    DemoPerson("agent.l1", roles.AGENTS, 1),
    DemoPerson("agent.l2", roles.AGENTS, 2),
    DemoPerson("engineer.l3", roles.AGENTS, 3),
    DemoPerson("oncall.l3", roles.AGENTS, 3),
    DemoPerson("manager", roles.MANAGERS),
    DemoPerson("manager2", roles.MANAGERS),
    DemoPerson("admin", roles.ADMINS, is_staff=True),
]

ACCOUNTS = [
    ("Acme Corp", Account.AccountTier.ENTERPRISE, 120_000, 72, "jane@acme.com"),
    ("Umbrella Health", Account.AccountTier.ENTERPRISE, 340_000, 58, "it-ops@umbrella.example"),
    ("Globex", Account.AccountTier.PREMIUM, 48_000, 85, "hank@globex.example"),
    ("Stark Logistics", Account.AccountTier.PREMIUM, 36_000, 91, "pepper@stark.example"),
    ("Initech", Account.AccountTier.STANDARD, 6_000, 64, "bill@initech.example"),
    ("Wayne Retail", Account.AccountTier.STANDARD, 9_500, 80, "alfred@wayne.example"),
]


@dataclass(frozen=True)
class DemoTicket:
    title: str
    account: str
    category: str
    severity: str
    age: timedelta
    steps: tuple[str, ...] = ()


UP_AND_BACK = ("assign", "acknowledge", "escalate", "acknowledge", "escalate", "acknowledge", "deescalate")
TICKETS = [
    DemoTicket("Password reset email never arrives", "Initech", "account", "P3", timedelta(hours=1)),
    DemoTicket("How do I export invoices as CSV?", "Wayne Retail", "how_to", "P3", timedelta(hours=3.5), ("assign",)),
    DemoTicket(
        "SSO login fails intermittently with SAML assertion error",
        "Acme Corp",
        "authentication",
        "P3",
        timedelta(hours=5),
        ("assign", "acknowledge"),
    ),
    DemoTicket(
        "Webhook deliveries delayed by 20 minutes",
        "Globex",
        "integration",
        "P3",
        timedelta(hours=7),
        ("assign", "acknowledge", "escalate"),
    ),
    DemoTicket(
        "Report totals differ from the dashboard",
        "Stark Logistics",
        "data",
        "P3",
        timedelta(hours=3),
        ("assign", "acknowledge", "escalate", "acknowledge"),
    ),
    DemoTicket(
        "Bulk import rejects files over 10 MB",
        "Wayne Retail",
        "bug",
        "P3",
        timedelta(hours=12),
        ("assign", "acknowledge", "wait_on_customer"),
    ),
    DemoTicket(
        "Checkout API returns 500 for EU customers", "Umbrella Health", "performance", "P1", timedelta(minutes=35)
    ),
    DemoTicket(
        "All dashboards down after deploy",
        "Acme Corp",
        "performance",
        "P0",
        timedelta(hours=2),
        ("assign", "acknowledge"),
    ),
    DemoTicket(
        "Duplicate charges on annual renewal",
        "Globex",
        "billing",
        "P2",
        timedelta(hours=1.5),
        ("assign", "acknowledge", "escalate"),
    ),
    DemoTicket(
        "Data export missing last week's records",
        "Umbrella Health",
        "data",
        "P2",
        timedelta(hours=6),
        ("assign", "acknowledge", "resolve"),
    ),
    DemoTicket(
        "Audit log shows logins from unknown IP",
        "Stark Logistics",
        "security",
        "P2",
        timedelta(days=3),
        ("assign", "acknowledge", "resolve", "close"),
    ),
    DemoTicket(
        "Scheduled reports sent twice",
        "Initech",
        "bug",
        "P3",
        timedelta(days=4),
        ("assign", "acknowledge", "resolve", "reopen"),
    ),
    DemoTicket(
        "Custom domain certificate renewal stuck", "Acme Corp", "integration", "P3", timedelta(hours=6), UP_AND_BACK
    ),
]


def seed_demo() -> dict[str, int]:
    """Create what is missing and return how many people, accounts and tickets were added."""
    with transaction.atomic():
        people = _seed_people()
        accounts = _seed_accounts()
        tickets = _seed_tickets()
    return {"people": people, "accounts": accounts, "tickets": tickets}


def _seed_people() -> int:
    User = get_user_model()
    tiers = {tier.level: tier for tier in Tier.objects.select_related("team")}
    added = 0
    for person in PEOPLE:
        user, created = User.objects.get_or_create(
            username=person.username, defaults={"email": f"{person.username}@desk.example"}
        )
        if not created:
            continue
        user.set_password(DEMO_PASSWORD)
        user.is_staff = person.is_staff
        user.save()
        user.groups.add(Group.objects.get(name=person.role))
        if person.tier_level in tiers:
            user.groups.add(tiers[person.tier_level].team)
        added += 1
    return added


def _seed_accounts() -> int:
    added = 0
    for name, tier, arr, health, contact in ACCOUNTS:
        _, created = Account.objects.get_or_create(
            name=name, defaults={"tier": tier, "arr": arr, "health_score": health, "primary_contact": contact}
        )
        added += created
    return added


def _seed_tickets() -> int:
    User = get_user_model()
    manager = User.objects.get(username="manager")
    added = 0
    for demo in TICKETS:
        if Ticket.objects.filter(title=demo.title).exists():
            continue
        account = Account.objects.get(name=demo.account)
        ticket = services.ticket_create(
            by=manager,
            title=demo.title,
            description=f"{account.primary_contact} reported: {demo.title.lower()}.",
            account=account,
            category=demo.category,
            severity=Severity.objects.get(code=demo.severity),
            requester=account.primary_contact,
            created_at=timezone.now() - demo.age,
        )
        for step in demo.steps:
            _apply_step(ticket, step, manager)
        added += 1
    return added


def _agent_of(tier: Tier):
    return get_user_model().objects.filter(groups=tier.team, is_active=True).order_by("username").first()


DEMO_NOTE = {
    "summary": "Customer-facing failure that the runbooks do not cover",
    "symptoms": ["Errors on about 30% of attempts", "Started after the customer's change window"],
    "customer_impact": "50+ users cannot work reliably",
    "business_impact": "Executive review next week; renewal at risk",
    "affected_users": 50,
    "steps_taken": [
        "Checked the customer's configuration",
        "Reproduced on a test account",
        "Consulted the runbook: no match",
    ],
    "reproduction_steps": "1. Sign in as a test user\n2. Repeat the action ten times\n3. Three attempts fail",
    "expected_behaviour": "Every attempt succeeds",
    "actual_behaviour": "About 30% fail with a server error",
    "environment": "Web app 2026.11, Chrome 131, EU region",
    "logs": "2026-11-22T09:14:03Z ERROR request failed: upstream certificate mismatch",
    "linked_tickets": "",
    "escalation_reason": "Needs the next tier's access and expertise",
    "suggested_next_step": "Check whether the platform caches the old certificate",
}


def _apply_step(ticket: Ticket, step: str, manager) -> None:
    agent = _agent_of(ticket.tier) or manager
    if step == "assign":
        services.ticket_assign(ticket=ticket, by=manager, owner=agent)
    elif step == "escalate":
        criteria = ticket.tier.criteria.filter(is_active=True)[:1]
        services.ticket_escalate(
            ticket=ticket, by=agent, criteria=criteria, rationale="Outside what this tier can do", note=DEMO_NOTE
        )
    elif step == "deescalate":
        services.ticket_deescalate(
            ticket=ticket,
            by=agent,
            to_tier=Tier.objects.get(level=ticket.tier.level - 1),
            reason=services.DEESCALATION_REASONS[0],
            rationale="Monitor the fix for a week and confirm with the customer",
        )
    else:
        services.SIMPLE_TRANSITIONS[step](ticket=ticket, by=agent, reason=f"Demo: {step.replace('_', ' ')}")
