"""Outside systems post inbound events with their source's token; each event id is acted on once."""

import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse

from escalations.models import Ticket
from templates_app import services
from templates_app.models import InboundEvent, InboundRateWindow, InboundSource, TemplateRun
from tests.templates.conftest import live

pytestmark = pytest.mark.django_db
TOKEN = "crm-token-0123456789-abcdefghijklmnop"
LEAD = {
    "groups": [
        {
            "rules": [
                {"field": "event_name", "op": "eq", "value": "lead_rejected"},
                {"field": "event_source", "op": "eq", "value": "paid_campaign"},
            ]
        }
    ]
}


@pytest.fixture
def crm(desk):
    return services.inbound_source_save(source=InboundSource(slug="crm", name="CRM"), by=desk.admin, token=TOKEN)


@pytest.fixture
def post(client, crm, django_capture_on_commit_callbacks):
    def send(payload, *, token=TOKEN, slug="crm", raw=None):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                reverse("templates_app:inbound_receive", args=[slug]),
                data=raw if raw is not None else json.dumps(payload),
                content_type="application/json",
                headers={"Authorization": f"Bearer {token}"} if token else {},
            )

    return send


def _lead(ticket: Ticket, event_id: str = "crm-8841") -> dict:
    return {"event_id": event_id, "name": "lead_rejected", "source": "paid_campaign", "ticket": ticket.reference}


def test_the_crm_records_an_event_on_a_ticket_and_the_matching_template_runs(desk, crm, post):
    live(desk, event="inbound", conditions=LEAD, steps=[{"kind": "notify", "audience": "managers", "message": "Lead"}])
    ticket = desk.open_ticket()
    response = post(_lead(ticket))
    assert response.status_code == 201
    event = InboundEvent.objects.get()
    assert response.json() == {"event": event.pk, "ticket": ticket.reference, "duplicate": False}
    assert (event.origin, event.external_id, event.by.username, event.source) == (
        crm,
        "crm-8841",
        "inbound-crm",
        "paid_campaign",
    )
    run = TemplateRun.objects.get()
    assert (run.ticket, run.event, run.event_key) == (ticket, "inbound", f"inbound-{event.pk}")


def test_the_same_event_id_posted_twice_is_done_once(desk, post):
    live(desk, event="inbound", conditions=LEAD, steps=[{"kind": "notify", "audience": "managers", "message": "Lead"}])
    ticket = desk.open_ticket()
    first = post(_lead(ticket))
    again = post(_lead(ticket))
    assert again.status_code == 200
    assert again.json() == first.json() | {"duplicate": True}
    assert (InboundEvent.objects.count(), TemplateRun.objects.count()) == (1, 1)


def test_an_event_can_open_its_ticket_as_the_sources_system_user(desk, post):
    new_ticket = {"account": "Acme Corp", "title": "Publishing pipeline failed", "category": "bug", "severity": "P2"}
    payload = {"event_id": "pipe-1", "name": "pipeline_failure", "new_ticket": new_ticket}
    response = post(payload)
    assert response.status_code == 201
    ticket = Ticket.objects.get(title="Publishing pipeline failed")
    assert response.json()["ticket"] == ticket.reference
    assert (ticket.created_by.username, ticket.severity, ticket.account) == ("inbound-crm", desk.p2, desk.acme)
    assert ticket.history.get().history_user.username == "inbound-crm"
    assert post(payload).status_code == 200
    assert Ticket.objects.filter(title="Publishing pipeline failed").count() == 1


@pytest.mark.parametrize(
    ("token", "status"),
    [(None, 401), ("wrong-token-0123456789-abcdefghijklm", 403)],
)
def test_a_missing_or_wrong_token_is_refused_and_nothing_recorded(desk, post, token, status):
    response = post(_lead(desk.open_ticket()), token=token)
    assert response.status_code == status
    assert not InboundEvent.objects.exists()


def test_a_deactivated_source_or_another_sources_address_is_refused(desk, crm, post):
    services.inbound_source_save(source=InboundSource(slug="cms", name="CMS"), by=desk.admin, token="x" * 40)
    assert post(_lead(desk.open_ticket()), slug="cms").status_code == 403
    crm.is_active = False
    services.inbound_source_save(source=crm, by=desk.admin)
    assert post(_lead(desk.open_ticket())).status_code == 403
    assert not InboundEvent.objects.exists()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("{not json", "The body is not valid JSON."),
        ("[1, 2]", "The body must be a JSON object."),
        (json.dumps({"name": "lead_rejected", "ticket": "SUP-1"}), "event_id is required."),
        (json.dumps({"event_id": "e1", "name": "x", "ticket": "SUP-999999"}), "there is no ticket “SUP-999999”"),
        (json.dumps({"event_id": "e1", "name": "x"}), "Give either ticket"),
        (json.dumps({"event_id": 7, "name": "x", "ticket": "SUP-1"}), "event_id must be a string."),
        (
            json.dumps({"event_id": "e1", "name": "x", "new_ticket": {"account": "Nobody", "severity": "P9"}}),
            "new_ticket.title is required.",
        ),
        ("[" * 100_000 + "]" * 100_000, "The body is nested too deeply to be an event."),
        ('{"event_id": "e1", "name": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
        (json.dumps({"event_id": "e\x001", "name": "x", "ticket": "SUP-1"}), "event_id contains a NUL character"),
        (json.dumps({"event_id": "e1", "name": "lead\ud800", "ticket": "SUP-1"}), "name contains half of a surrogate"),
        (json.dumps({"event_id": "e1", "name": "x", "ticket": "SUP-²"}), "there is no ticket “SUP-²”"),
        (json.dumps({"event_id": "e1", "name": "x", "ticket": "SUP-" + "9" * 5000}), "there is no ticket “SUP-999"),
        (
            json.dumps({"event_id": "e1", "name": "x", "new_ticket": {"title": "t", "account": "Acme\x00"}}),
            "new_ticket.account contains a NUL character",
        ),
        (
            json.dumps({"event_id": "e1", "name": "x", "new_ticket": {"title": "t", "severity": "P\x001"}}),
            "new_ticket.severity: use one of",
        ),
    ],
)
def test_bad_json_is_refused_with_a_clear_400_and_nothing_recorded(desk, post, raw, message):
    response = post(None, raw=raw)
    assert response.status_code == 400
    assert message in " ".join(response.json()["errors"])
    assert not InboundEvent.objects.exists() and not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("event_id", "crm\x00-1", "event_id contains a NUL character"),
        ("name", "lead_rejected\x00", "name contains a NUL character"),
        ("source", "paid\udc80", "source contains half of a surrogate pair"),
    ],
)
def test_text_no_database_can_store_is_refused_with_a_400(desk, post, field, value, message):
    response = post(_lead(desk.open_ticket()) | {field: value})
    assert response.status_code == 400
    assert message in " ".join(response.json()["errors"])
    assert not InboundEvent.objects.exists()


def test_the_endpoint_takes_only_posts(client, crm):
    assert client.get(reverse("templates_app:inbound_receive", args=["crm"])).status_code == 405


def test_only_the_tokens_hash_is_stored(crm):
    crm.refresh_from_db()
    assert TOKEN not in crm.token_hash and crm.accepts(TOKEN) and not crm.accepts(TOKEN + "x")


def test_only_admins_configure_sources(desk):
    with pytest.raises(Exception, match="Only admins"):
        services.inbound_source_save(source=InboundSource(slug="x", name="X"), by=desk.manager, token="y" * 40)


def test_an_admin_adds_a_source_in_the_admin_and_is_shown_its_token_once(client, desk):
    client.force_login(desk.admin)
    response = client.post(
        reverse("admin:templates_app_inboundsource_add"),
        {"name": "Publishing", "slug": "publishing", "is_active": "on"},
        follow=True,
    )
    source = InboundSource.objects.get(slug="publishing")
    shown = next(str(m) for m in response.context["messages"] if "shown this once" in str(m))
    assert source.accepts(shown.rsplit(" ", 1)[1]) and source.user.username == "inbound-publishing"


@override_settings(INBOUND_RATE_LIMIT=2)
def test_a_source_over_its_rate_gets_429_with_retry_after_until_the_next_minute(desk, post):
    ticket = desk.open_ticket()
    with time_machine.travel(datetime(2026, 12, 1, 9, 30, 20, tzinfo=UTC), tick=False):
        answers = [post(_lead(ticket, f"crm-{n}")) for n in range(3)]
    assert [answer.status_code for answer in answers] == [201, 201, 429]
    assert answers[2]["Retry-After"] == "40"
    assert "More than 2 events a minute" in answers[2].json()["errors"][0]
    assert InboundEvent.objects.count() == 2
    with time_machine.travel(datetime(2026, 12, 1, 9, 31, tzinfo=UTC), tick=False):
        assert post(_lead(ticket, "crm-3")).status_code == 201


@override_settings(INBOUND_RATE_LIMIT=1)
def test_each_source_has_its_own_rate_counted_in_the_database(desk, crm, post):
    other = "cms-token-0123456789-abcdefghijklmnop"
    services.inbound_source_save(source=InboundSource(slug="cms", name="CMS"), by=desk.admin, token=other)
    ticket = desk.open_ticket()
    with time_machine.travel(datetime(2026, 12, 1, 9, 30, tzinfo=UTC), tick=False):
        assert post(_lead(ticket, "a")).status_code == 201
        assert post(_lead(ticket, "a"), token=other, slug="cms").status_code == 201
        assert post(_lead(ticket, "b")).status_code == 429
    assert InboundRateWindow.objects.get(source=crm).count == 1


def test_refused_tokens_do_not_use_up_the_sources_rate(desk, post):
    post(_lead(desk.open_ticket()), token="wrong-token-0123456789-abcdefghijklm")
    assert not InboundRateWindow.objects.exists()
