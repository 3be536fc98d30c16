"""Named people and a configured desk (seed 002's tiers and severities) shared by the tests."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from escalations import roles, services
from escalations.management import role_groups_sync
from escalations.models import Account, EscalationCriterion, Severity, Ticket, Tier

PASSWORD = "correct-horse-battery"
TIER_SEED = [
    (1, "Front-Line Support", "support-generalists", timedelta(hours=4), timedelta(hours=24)),
    (2, "Specialist Support", "support-specialists", timedelta(hours=2), timedelta(hours=8)),
    (3, "Engineering / Executive", "engineering-oncall", timedelta(hours=1), timedelta(hours=4)),
]


@dataclass
class Desk:
    l1: Tier
    l2: Tier
    l3: Tier
    p0: Severity
    p1: Severity
    p2: Severity
    p3: Severity
    acme: Account
    l1_agent: object
    l2_agent: object
    l3_engineer: object
    manager: object
    manager2: object
    admin: object
    outsider: object

    def open_ticket(self, severity: Severity | None = None, **fields) -> Ticket:
        values = {
            "title": "SSO login fails intermittently",
            "description": "Users see 'Invalid SAML response' on 30% of logins.",
            "account": self.acme,
            "category": Ticket.Category.AUTHENTICATION,
            "severity": severity or self.p3,
            "requester": "jane@acme.com",
        }
        return services.ticket_create(by=self.manager, **(values | fields))

    def working_at_l1(self) -> Ticket:
        ticket = services.ticket_assign(ticket=self.open_ticket(), by=self.manager, owner=self.l1_agent)
        return services.ticket_acknowledge(ticket=ticket, by=self.l1_agent)

    def escalate(self, ticket: Ticket, by, note: dict | None = None, **extra):
        criteria = list(ticket.tier.criteria.filter(is_active=True)[:1])
        options = {"criteria": criteria, "rationale": "Backend access needed", "note": note or FULL_NOTE} | extra
        return services.ticket_escalate(ticket=ticket, by=by, **options)

    def deescalate(self, ticket: Ticket, by, to_tier: Tier, **extra):
        options = {"reason": services.DEESCALATION_REASONS[0], "rationale": "Monitor the fix"} | extra
        return services.ticket_deescalate(ticket=ticket, by=by, to_tier=to_tier, **options)


FULL_NOTE = {
    "summary": "SSO login fails intermittently with SAML assertion error",
    "symptoms": ["'Invalid SAML response' on 30% of logins", "Started after the IdP certificate update"],
    "customer_impact": "50+ users cannot reliably sign in",
    "business_impact": "Executive review next week, threatening churn",
    "affected_users": 52,
    "steps_taken": ["Verified IdP metadata", "Checked SAML assertion logs", "Consulted runbook SSO-003"],
    "reproduction_steps": "Sign in ten times with a test user",
    "expected_behaviour": "Every sign-in succeeds",
    "actual_behaviour": "Three of ten fail",
    "environment": "Web 2026.11, Chrome 131",
    "logs": "SAMLResponse rejected: certificate mismatch",
    "linked_tickets": "SUP-9001",
    "escalation_reason": "Requires backend investigation of SAML certificate caching",
    "suggested_next_step": "Check if the platform caches the old IdP certificate",
}
CONTEXT_NOTE = {
    key: FULL_NOTE[key] for key in ["summary", "symptoms", "customer_impact", "steps_taken", "escalation_reason"]
}


def _person(username: str, *groups: Group, **flags):
    user = get_user_model().objects.create_user(username, f"{username}@desk.example", PASSWORD, **flags)
    user.groups.add(*groups)
    return user


@pytest.fixture
def desk(db) -> Desk:
    role_groups_sync()  # what a migrate gives the role groups, whatever an earlier test left
    tiers = {}
    for level, name, team, first_response, resolution in TIER_SEED:
        tiers[level] = Tier.objects.create(
            level=level,
            name=name,
            team=Group.objects.create(name=team),
            first_response_sla=first_response,
            resolution_target=resolution,
        )
    EscalationCriterion.objects.create(tier=tiers[1], text="Resolution requires backend access")
    EscalationCriterion.objects.create(tier=tiers[1], text="Customer requests escalation", position=1)
    EscalationCriterion.objects.create(tier=tiers[2], text="Issue requires code change")
    severity = {
        code: Severity.objects.create(code=code, description=f"{code} issue", route_to=tiers.get(route))
        for code, route in [("P0", 3), ("P1", 3), ("P2", 2), ("P3", None)]
    }
    agents, managers, admins = (Group.objects.get(name=name) for name in (roles.AGENTS, roles.MANAGERS, roles.ADMINS))
    return Desk(
        l1=tiers[1],
        l2=tiers[2],
        l3=tiers[3],
        p0=severity["P0"],
        p1=severity["P1"],
        p2=severity["P2"],
        p3=severity["P3"],
        acme=Account.objects.create(
            name="Acme Corp", tier=Account.AccountTier.ENTERPRISE, arr=120_000, health_score=72
        ),
        l1_agent=_person("alice.l1", agents, tiers[1].team),
        l2_agent=_person("bob.l2", agents, tiers[2].team),
        l3_engineer=_person("carol.l3", agents, tiers[3].team),
        manager=_person("maria.manager", managers),
        manager2=_person("mateo.manager", managers),
        admin=_person("ada.admin", admins, is_staff=True),
        outsider=_person("oscar.outsider"),
    )
