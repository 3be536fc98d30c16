"""Who gets what on every route: a permission matrix, like NetBox's shared permission suites.

The routes come from walking the URL resolver, so a route without a row in MATRIX fails. Every person asks each
route for its page (GET) and sends it a plausible form (POST: the fields its form wants, so a refusal is about
permission, not bad data). Each request runs in a savepoint that is rolled back, so every request meets the same
desk, built once per person. A refused request (4xx, or a redirect to sign in) and any GET must write nothing: the
row count of every table, history tables included, is the same after it.

A cell that today's code gets wrong says what it should be and has a line in GAPS, the issue item that fixes it.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from escalations import services
from escalations.models import Escalation, Notification, Ticket
from templates_app import services as template_services
from templates_app.forms import Editor
from templates_app.models import ChecklistItem, InboundSource, TemplateRun, TemplateVersion
from templates_app.services import transfer
from tests.conftest import FULL_NOTE, PASSWORD, Desk
from tests.templates.conftest import draft, live

pytestmark = pytest.mark.django_db

PEOPLE = ("anonymous", "tier_agent", "other_agent", "manager", "admin", "superuser", "outsider")

# GET/POST status for each of PEOPLE, in that order. The tier agent works the tier of the route's ticket (L1 unless
# ROUTES says otherwise), the other agent the tier above it (the lowest, above the top). 302 is a sign-in redirect
# for the anonymous, elsewhere the page a done action leads to.
MATRIX = {
    #                                            anonymous  tier_agent  other_agent  manager  admin  superuser  outsider
    "escalations:queue":                          "302/302  200/405  200/405  200/405  200/405  200/405  200/405",
    "escalations:ticket_create":                  "302/302  200/302  200/302  200/302  403/403  200/302  403/403",
    "escalations:ticket":                         "302/302  200/405  200/405  200/405  200/405  200/405  404/405",
    "escalations:ticket_clocks":                  "302/302  200/405  200/405  200/405  200/405  200/405  404/405",
    "escalations:ticket_add_note":                "302/302  405/302  405/403  405/302  405/403  405/302  405/404",
    "escalations:ticket_clear_flag":              "302/302  200/403  200/403  200/302  200/403  200/302  404/404",
    "escalations:ticket_escalate":                "302/302  200/302  403/403  200/302  403/403  200/302  404/404",
    "escalations:ticket_deescalate":              "302/302  200/302  403/403  200/302  403/403  200/302  404/404",
    "escalations:ticket_transfer":                "302/302  200/302  403/403  200/302  403/403  200/302  404/404",
    "escalations:ticket_transition":              "302/302  200/302  403/403  200/302  403/403  200/302  404/404",
    "escalations:notifications":                  "302/302  200/302  200/302  200/302  200/302  200/302  200/302",
    "escalations:notifications_failed":           "302/302  403/405  403/405  200/405  403/405  200/405  403/405",
    "escalations:notification_retry":             "302/302  405/403  405/403  405/302  405/403  405/302  405/403",
    "escalations:availability":                   "302/302  200/403  200/403  200/302  200/302  200/302  200/403",
    "escalations:escalation":                     "302/302  200/405  200/405  200/405  200/405  200/405  404/405",
    "escalations:escalation_document":            "302/302  200/405  200/405  200/405  200/405  200/405  404/405",
    "escalations:escalation_attachment":          "302/302  200/405  200/405  200/405  200/405  200/405  404/405",
    "templates_app:list":                         "302/302  200/405  200/405  200/405  200/405  200/405  403/405",
    "templates_app:policy":                       "302/302  200/405  200/405  200/405  200/405  200/405  403/405",
    "templates_app:create":                       "302/302  403/403  403/403  200/302  403/403  200/302  403/403",
    "templates_app:import":                       "302/302  403/403  403/403  200/302  403/403  200/302  403/403",
    "templates_app:export":                       "302/302  200/405  200/405  200/405  200/405  200/405  403/405",
    "templates_app:version":                      "302/302  200/405  200/405  200/405  200/405  200/405  403/405",
    "templates_app:edit":                         "302/302  403/403  403/403  200/302  403/403  200/302  403/403",
    "templates_app:review":                       "302/302  403/403  403/403  200/302  403/403  200/302  403/403",
    "templates_app:simulate":                     "302/302  200/405  200/405  200/405  200/405  200/405  403/405",
    "templates_app:diff":                         "302/302  200/405  200/405  200/405  200/405  200/405  403/405",
    "templates_app:action":                       "302/302  405/403  405/403  405/302  405/403  405/302  405/403",
    "templates_app:sign":                         "302/302  405/302  405/403  405/302  405/403  405/302  405/404",
    "templates_app:inbound":                      "302/302  405/302  405/403  405/302  405/403  405/302  405/404",
    "templates_app:inbound_receive":              "405/401  405/401  405/401  405/401  405/401  405/401  405/401",
    "reporting:overview":                         "302/302  200/405  200/405  200/405  200/405  200/405  403/405",
    "reporting:escalations":                      "302/302  200/405  200/405  200/405  200/405  200/405  403/405",
    "reporting:sla":                              "302/302  200/405  200/405  200/405  200/405  200/405  403/405",
    "reporting:accounts":                         "302/302  200/405  200/405  200/405  200/405  200/405  403/405",
    "reporting:quality":                          "302/302  200/405  200/405  200/405  200/405  200/405  403/405",
    "reporting:reviews":                          "302/302  200/405  200/405  200/405  200/405  200/405  403/405",
    "reporting:review_create":                    "302/302  405/403  405/403  405/302  405/403  405/302  405/403",
    "reporting:tickets":                          "302/302  200/405  200/405  200/405  200/405  200/405  403/405",
    "login":                                      "200/302  302/302  302/302  302/302  302/302  302/302  302/302",
    "logout":                                     "302/302  405/302  405/302  405/302  405/302  405/302  405/302",
    "healthz":                                    "200/405  200/405  200/405  200/405  200/405  200/405  200/405",
    "admin:index":                                "302/302  302/302  302/302  302/302  200/200  200/200  302/302",
    "admin:escalations_tier_changelist":          "302/302  302/302  302/302  302/302  200/200  200/200  302/302",
    "admin:templates_app_template_changelist":    "302/302  302/302  302/302  302/302  200/200  200/200  302/302",
}  # fmt: skip


@dataclass(frozen=True)
class Gap:
    """A cell of MATRIX that today's code gets wrong: the status it answers today, and the issue item that fixes it."""

    today: int
    issue: str


# Like xfail(strict=True) for one cell: the test insists on today's status and fails as soon as it changes,
# so whoever closes a gap deletes its line here.
GAPS: dict[tuple[str, str, str], Gap] = {}

# The Django admin has its own tests (tests/test_access.py); these rows only pin who reaches it at all.
ADMIN_ROUTES = ("admin:index", "admin:escalations_tier_changelist", "admin:templates_app_template_changelist")


@dataclass
class World:
    """One desk with something for every route: tickets at each tier, escalations, templates, deliveries."""

    desk: Desk
    superuser: object
    at_l1: Ticket
    at_l2: Ticket
    at_l3: Ticket
    escalation: Escalation
    to_top: Escalation
    failed: Notification
    active: TemplateVersion
    superseded: TemplateVersion
    submitted: TemplateVersion
    draft: TemplateVersion
    item: ChecklistItem
    source: InboundSource
    document: str

    def agents(self, ticket: Ticket) -> tuple:
        """The agent of the ticket's tier and the agent of the tier above it (the lowest above the top)."""
        ladder = [self.desk.l1_agent, self.desk.l2_agent, self.desk.l3_engineer]
        level = ticket.tier.level
        return ladder[level - 1], ladder[level % len(ladder)]


def _escalated(desk: Desk, ticket: Ticket, by, owner, **extra) -> Escalation:
    escalation = desk.escalate(ticket, by=by, owner=owner, **extra)
    services.ticket_acknowledge(ticket=Ticket.objects.get(pk=ticket.pk), by=owner)
    return escalation


def _templates(desk: Desk) -> dict:
    """A template whose v1 was superseded by v2 (active) and whose v3 awaits review, and a second one in draft."""
    superseded = live(desk)
    following = template_services.version_new_draft(version=superseded, by=desk.manager)
    following = template_services.version_submit(version=following, by=desk.manager)
    active = template_services.version_approve(
        version=following, by=desk.manager2, comment="Same path", seen_hash=following.content_hash()
    )
    awaiting = template_services.version_new_draft(version=active, by=desk.manager2)
    awaiting = template_services.version_submit(version=awaiting, by=desk.manager2)
    drafted = draft(desk, name="Lead routing failure")
    return {"superseded": superseded, "active": active, "submitted": awaiting, "draft": drafted}


@pytest.fixture
def world(desk) -> World:
    at_l1 = desk.working_at_l1()
    at_l2 = desk.working_at_l1()
    evidence = [SimpleUploadedFile("saml.har", b'{"log": {}}', content_type="application/json")]
    escalation = _escalated(desk, at_l2, desk.l1_agent, desk.l2_agent, attachments=evidence)
    at_l3 = services.ticket_assign(ticket=desk.open_ticket(desk.p2), by=desk.manager, owner=desk.l2_agent)
    services.ticket_acknowledge(ticket=at_l3, by=desk.l2_agent)
    to_top = _escalated(desk, Ticket.objects.get(pk=at_l3.pk), desk.l2_agent, desk.l3_engineer)
    Ticket.objects.filter(pk=at_l1.pk).update(flagged_at=timezone.now(), flag_reason="Bounced back to L1")
    versions = _templates(desk)
    run = TemplateRun.objects.create(version=versions["active"], ticket=at_l1, event="created")
    source = InboundSource(slug="crm", name="CRM")
    return World(
        desk=desk,
        superuser=get_user_model().objects.create_superuser("sam.super", "sam@desk.example", PASSWORD),
        at_l1=Ticket.objects.get(pk=at_l1.pk),
        at_l2=Ticket.objects.get(pk=at_l2.pk),
        at_l3=Ticket.objects.get(pk=at_l3.pk),
        escalation=escalation,
        to_top=to_top,
        failed=Notification.objects.create(
            ticket=at_l1,
            channel=Notification.Channel.WEBHOOK,
            subject="SUP escalated",
            body="x",
            status=Notification.Status.FAILED,
            attempts=5,
            last_error="HTTP 500",
        ),
        item=ChecklistItem.objects.create(run=run, ticket=at_l1, text="Confirm the customer impact"),
        source=template_services.inbound_source_save(source=source, by=desk.admin, token="crm-token"),
        document=transfer.export_templates().replace("High-value customer incident", "Copied incident path"),
        **versions,
    )


def _form_data(*parts) -> dict:
    """What a browser posts for forms and formsets drawn unbound: every field with the value it shows."""
    data = {}
    for part in parts:
        if hasattr(part, "management_form"):
            data |= _form_data(part.management_form, *part.forms)
            continue
        for name in part.fields:
            value = part[name].value()
            if value is not None and value is not False:
                data[part.add_prefix(name)] = getattr(value, "pk", value)
    return data


@dataclass(frozen=True)
class Route:
    """How to reach a route with the world's objects, and the form a person plausibly posts to it."""

    kwargs: Callable[[World], dict] = lambda w: {}
    body: Callable[[World], dict] = lambda w: {}
    ticket: Callable[[World], Ticket] = lambda w: w.at_l1
    json: bool = False


def _at_l1(w: World) -> dict:
    return {"number": w.at_l1.number}


def _escalation_form(w: World) -> dict:
    note = FULL_NOTE | {key: "\n".join(FULL_NOTE[key]) for key in ("symptoms", "steps_taken")}
    criteria = [w.at_l1.tier.criteria.first().pk]
    return note | {"criteria": criteria, "rationale": "Needs backend access", "owner": "", "version": w.at_l1.version}


def _ticket_form(w: World) -> dict:
    desk = w.desk
    return {
        "title": "Exports time out",
        "account": desk.acme.pk,
        "requester": "jane@acme.com",
        "category": Ticket.Category.AUTHENTICATION,
        "severity": desk.p3.pk,
        "description": "Since this morning",
    }


ROUTES: dict[str, Route] = {
    "escalations:queue": Route(),
    "escalations:ticket_create": Route(body=_ticket_form),
    "escalations:ticket": Route(kwargs=_at_l1),
    "escalations:ticket_clocks": Route(kwargs=_at_l1),
    "escalations:ticket_add_note": Route(kwargs=_at_l1, body=lambda w: {"visibility": "public", "body": "On it"}),
    "escalations:ticket_clear_flag": Route(
        kwargs=_at_l1, body=lambda w: {"reason": "Stays at L1", "version": w.at_l1.version}
    ),
    "escalations:ticket_escalate": Route(kwargs=_at_l1, body=_escalation_form),
    "escalations:ticket_deescalate": Route(
        kwargs=lambda w: {"number": w.at_l2.number},
        ticket=lambda w: w.at_l2,
        body=lambda w: {
            "to_tier": w.desk.l1.pk,
            "reason": services.DEESCALATION_REASONS[0],
            "rationale": "Monitor the fix",
            "owner": "",
            "version": w.at_l2.version,
        },
    ),
    "escalations:ticket_transfer": Route(
        kwargs=_at_l1,
        body=lambda w: {
            "role": "escalation",
            "to_owner": w.desk.l3_engineer.pk,
            "reason": "Knows the SAML code",
            "expected_response": "1h",
            "version": w.at_l1.version,
        },
    ),
    "escalations:ticket_transition": Route(
        kwargs=lambda w: {"number": w.at_l1.number, "transition": "resolve"},
        body=lambda w: {"reason": "Certificate cache flushed", "version": w.at_l1.version},
    ),
    "escalations:notifications": Route(body=lambda w: {"up_to": str(w.failed.pk)}),
    "escalations:notifications_failed": Route(),
    "escalations:notification_retry": Route(kwargs=lambda w: {"pk": w.failed.pk}),
    "escalations:availability": Route(body=lambda w: {"person": w.desk.l3_engineer.pk, "away": "1"}),
    "escalations:escalation": Route(kwargs=lambda w: {"pk": w.escalation.pk}, ticket=lambda w: w.at_l2),
    "escalations:escalation_document": Route(
        kwargs=lambda w: {"pk": w.escalation.pk, "document": "handoff-brief"}, ticket=lambda w: w.at_l2
    ),
    "escalations:escalation_attachment": Route(
        kwargs=lambda w: {"pk": w.escalation.pk, "attachment_id": w.escalation.attachments.get().pk},
        ticket=lambda w: w.at_l2,
    ),
    "templates_app:list": Route(),
    "templates_app:policy": Route(),
    "templates_app:create": Route(body=lambda w: {"name": "Content publishing block", "description": "CMS"}),
    "templates_app:import": Route(body=lambda w: {"document": w.document}),
    "templates_app:export": Route(),
    "templates_app:version": Route(kwargs=lambda w: {"pk": w.active.pk}),
    "templates_app:edit": Route(
        kwargs=lambda w: {"pk": w.draft.pk},
        body=lambda w: _form_data(*Editor(w.draft).parts) | {"change_summary": "Clearer wording"},
    ),
    "templates_app:review": Route(
        kwargs=lambda w: {"pk": w.submitted.pk},
        body=lambda w: {
            "decision": "approve",
            "comment": "Checked the simulation",
            "content_hash": w.submitted.content_hash(),
            "activate": "on",
        },
    ),
    "templates_app:simulate": Route(kwargs=lambda w: {"pk": w.active.pk}),
    "templates_app:diff": Route(kwargs=lambda w: {"pk": w.active.pk, "other": w.superseded.pk}),
    "templates_app:action": Route(
        kwargs=lambda w: {"pk": w.superseded.pk, "action": "rollback"},
        body=lambda w: {"reason": "v2 pages the wrong team"},
    ),
    "templates_app:sign": Route(kwargs=lambda w: {"pk": w.item.pk}, body=lambda w: {"decision": "300 users in EU"}),
    "templates_app:inbound": Route(kwargs=_at_l1, body=lambda w: {"name": "lead_rejected", "source": "paid_campaign"}),
    "templates_app:inbound_receive": Route(
        kwargs=lambda w: {"slug": w.source.slug},
        body=lambda w: {"event_id": "crm-1", "name": "lead_rejected", "ticket": w.at_l1.reference},
        json=True,
    ),
    "reporting:overview": Route(),
    "reporting:escalations": Route(),
    "reporting:sla": Route(),
    "reporting:accounts": Route(),
    "reporting:quality": Route(),
    "reporting:reviews": Route(),
    "reporting:review_create": Route(
        kwargs=lambda w: {"pk": w.to_top.pk},
        ticket=lambda w: w.at_l3,
        body=lambda w: {"cause": "defect", "lower_tier_could_solve": "no", "follow_up": ""},
    ),
    "reporting:tickets": Route(),
    "login": Route(body=lambda w: {"username": w.desk.l1_agent.get_username(), "password": PASSWORD}),
    "logout": Route(),
    "healthz": Route(),
    "admin:index": Route(),
    "admin:escalations_tier_changelist": Route(),
    "admin:templates_app_template_changelist": Route(),
}


def _desk_routes(resolver: URLResolver | None = None, namespace: str = "") -> list[str]:
    """Every named route of the desk, found by walking the resolver (the Django admin is tested on its own)."""
    names = []
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver) and pattern.namespace != "admin":
            names += _desk_routes(pattern, f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.append(namespace + pattern.name)
    return names


def _row_counts() -> dict[str, int]:
    """Every table's row count, in one query."""
    tables = sorted({model._meta.db_table for model in apps.get_models(include_auto_created=True)})
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quote(table)})" for table in tables))
        return dict(zip(tables, cursor.fetchone(), strict=True))


def _person(world: World, person: str, route: Route):
    tier_agent, other_agent = world.agents(route.ticket(world))
    desk = world.desk
    return {
        "anonymous": None,
        "tier_agent": tier_agent,
        "other_agent": other_agent,
        "manager": desk.manager,
        "admin": desk.admin,
        "superuser": world.superuser,
        "outsider": desk.outsider,
    }[person]


def _is_refusal(response) -> bool:
    """A 4xx, or a redirect to a sign-in page that will send the person back (the page itself was not served)."""
    if response.status_code >= 400:
        return True
    path, _, query = response.get("Location", "").partition("?")
    return (
        response.status_code == 302 and query.startswith("next=") and path in (reverse("login"), reverse("admin:login"))
    )


def _ask(client: Client, method: str, url: str, route: Route, world: World) -> tuple[int, list[str]]:
    """The status a request gets, and the tables it wrote to if it was a refusal or a GET; nothing it did is kept."""
    with transaction.atomic():
        before = _row_counts()
        if method == "GET":
            response = client.get(url)
        elif route.json:
            response = client.post(url, json.dumps(route.body(world)), content_type="application/json")
        else:
            response = client.post(url, route.body(world))
        if response.streaming:
            b"".join(response.streaming_content)  # read to the end, the test client closes the file as a server would
        try:
            after = _row_counts()
        except DatabaseError:  # the request broke the transaction: nothing it wrote can stay, its status says why
            after = before
        transaction.set_rollback(True)
    unsafe = method != "GET" and not _is_refusal(response)
    written = [] if unsafe else [table for table in before if before[table] != after[table]]
    return response.status_code, written


class Sessions:
    """Signed-in clients, one sign-in per user for the whole matrix."""

    def __init__(self):
        self.keys: dict[int, str] = {}

    def client(self, user) -> Client:
        client = Client(raise_request_exception=False)
        if user is not None:
            if user.pk not in self.keys:
                client.force_login(user)
                self.keys[user.pk] = client.cookies[settings.SESSION_COOKIE_NAME].value
            client.cookies[settings.SESSION_COOKIE_NAME] = self.keys[user.pk]
        return client


def _expected(name: str) -> dict[str, tuple[int, int]]:
    cells = MATRIX[name].split()
    return {
        person: tuple(int(status) for status in cell.split("/")) for person, cell in zip(PEOPLE, cells, strict=True)
    }


def _judge(name: str, method: str, person: str, status: int, expected: int) -> str | None:
    where = f"{method} {name} as {person}: {status}"
    gap = GAPS.get((name, person, method))
    if gap is None:
        return None if status == expected else f"{where}, the matrix says {expected}"
    if status == expected:
        return f"{where} as the matrix says: the gap is closed ({gap.issue}), delete it from GAPS"
    return None if status == gap.today else f"{where}, GAPS says {gap.today} today ({expected} once fixed)"


def test_every_route_has_a_row_in_the_matrix():
    routes = set(_desk_routes()) | set(ADMIN_ROUTES)
    missing = sorted(routes - set(MATRIX))
    assert not missing, f"Routes without a row in MATRIX (say who gets what on GET and POST): {', '.join(missing)}"
    gone = sorted(set(MATRIX) - routes)
    assert not gone, f"MATRIX rows for routes that no longer exist: {', '.join(gone)}"
    assert set(ROUTES) == set(MATRIX), f"Routes MATRIX has and ROUTES lacks: {sorted(set(MATRIX) - set(ROUTES))}"


@pytest.mark.parametrize("person", PEOPLE)
def test_each_person_gets_what_the_matrix_says_and_no_refusal_or_read_writes(world, person):
    sessions, problems = Sessions(), []
    for name, route in ROUTES.items():
        client = sessions.client(_person(world, person, route))
        url = reverse(name, kwargs=route.kwargs(world))
        expected = _expected(name)[person]
        for method, should in zip(("GET", "POST"), expected, strict=True):
            status, written = _ask(client, method, url, route, world)
            problems.append(_judge(name, method, person, status, should))
            if written:
                problems.append(f"{method} {name} as {person} ({status}) wrote to {', '.join(written)}")
    problems = [problem for problem in problems if problem]
    assert not problems, "\n".join(problems)
