"""The template pages: agents read, managers edit and approve; forged and bad posts are refused, never a 500."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from escalations.models import Notification, Ticket
from templates_app import services
from templates_app.domain.qa import runs_with_checks, ticket_runs
from templates_app.models import ChecklistItem, InboundEvent, Template, TemplateRun, TemplateVersion
from templates_app.services.execution import run_event
from tests.templates.conftest import draft, live, submitted
from tests.templates.test_execution import HIGH_VALUE_STEPS

pytestmark = pytest.mark.django_db
Status = TemplateVersion.Status
PAGE_WITH_RUNS = 21


def _editor_post(**overrides) -> dict:
    data = {
        "event": "created",
        "match": "all",
        "groups-TOTAL_FORMS": "1",
        "groups-INITIAL_FORMS": "0",
        "groups-0-match": "all",
        "conditions-TOTAL_FORMS": "2",
        "conditions-INITIAL_FORMS": "0",
        "conditions-0-group": "1",
        "conditions-0-field": "severity",
        "conditions-0-op": "in",
        "conditions-0-value": "P0, P1",
        "conditions-1-group": "1",
        "conditions-1-field": "account_tier",
        "conditions-1-op": "eq",
        "conditions-1-value": "enterprise",
        "expected-TOTAL_FORMS": "1",
        "expected-INITIAL_FORMS": "0",
        "steps-TOTAL_FORMS": "2",
        "steps-INITIAL_FORMS": "0",
        "steps-0-ORDER": "2",
        "steps-0-kind": "notify",
        "steps-0-audience": "managers",
        "steps-0-message": "Heads up",
        "steps-1-ORDER": "1",
        "steps-1-kind": "assign",
        "steps-1-role": "primary",
        "steps-1-target": "oncall",
        "steps-1-tier": "3",
        "ack_timeout_minutes": "5",
    }
    return data | overrides


def test_a_manager_edits_a_draft_with_condition_rows_and_ordered_steps(client, desk):
    version = draft(desk)
    client.force_login(desk.manager)
    response = client.post(reverse("templates_app:edit", args=[version.pk]), _editor_post())
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.conditions["groups"][0]["rules"][0] == {"field": "severity", "op": "in", "value": ["P0", "P1"]}
    assert [step["kind"] for step in version.steps] == ["assign", "notify"]
    assert version.ack_timeout_minutes == 5
    assert (
        "Assign primary owner: the on-call of L3"
        in client.get(reverse("templates_app:version", args=[version.pk])).content.decode()
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"conditions-0-field": "mood"}, "Select a valid choice"),
        (
            {"conditions-1-field": "tier", "conditions-1-op": "eq", "conditions-1-value": "three"},
            "“three” is not a number",
        ),
        (
            {
                "conditions-0-field": "",
                "conditions-1-field": "",
                "groups-TOTAL_FORMS": "1",
                "groups-INITIAL_FORMS": "1",
            },
            "Group 1 is empty",
        ),
        ({"steps-1-tier": ""}, "Step 1: The on-call to assign: give the tier"),
        ({"steps-0-message": ""}, "Step 2: The message is missing."),
        ({"delay_minutes": "20000"}, "Ensure this value is less than or equal to 10080"),
        ({"validation_window_minutes": "60"}, "A validation window needs a human step"),
    ],
)
def test_bad_editor_input_is_refused_with_a_clear_message_and_nothing_saved(client, desk, overrides, message):
    version = draft(desk)
    before = version.content_hash()
    client.force_login(desk.manager)
    response = client.post(reverse("templates_app:edit", args=[version.pk]), _editor_post(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    version.refresh_from_db()
    assert version.content_hash() == before


def test_a_manager_sets_a_delay_and_a_validation_owner_that_the_version_page_shows(client, desk):
    version = draft(desk)
    client.force_login(desk.manager)
    human = {"steps-1-kind": "human", "steps-1-text": "Data steward validates"}
    post = _editor_post(delay_minutes="30", validation_window_minutes="720", validation_owner=desk.manager2.pk, **human)
    assert client.post(reverse("templates_app:edit", args=[version.pk]), post).status_code == 302
    version.refresh_from_db()
    assert (version.delay_minutes, version.validation_owner) == (30, desk.manager2)
    page = client.get(reverse("templates_app:version", args=[version.pk])).content.decode()
    assert "then after <strong>30 min</strong> if the conditions still hold" in page
    assert "720 min to sign the checklist, else handed to mateo.manager" in page
    editor = client.get(reverse("templates_app:edit", args=[version.pk])).content.decode()
    assert 'name="delay_minutes" value="30"' in editor


def test_agents_read_templates_but_cannot_edit_or_approve(client, desk):
    version = submitted(desk)
    client.force_login(desk.l2_agent)
    assert client.get(reverse("templates_app:list")).status_code == 200
    assert client.get(reverse("templates_app:version", args=[version.pk])).status_code == 200
    assert client.get(reverse("templates_app:edit", args=[version.pk])).status_code == 403
    forged = {"decision": "approve", "comment": "ok", "content_hash": version.content_hash(), "activate": "on"}
    assert client.post(reverse("templates_app:review", args=[version.pk]), forged).status_code == 403
    assert (
        client.post(reverse("templates_app:action", args=[version.pk, "activate"]), {"reason": "x"}).status_code == 403
    )
    version.refresh_from_db()
    assert version.status == Status.SUBMITTED


def test_outsiders_cannot_read_templates(client, desk):
    client.force_login(desk.outsider)
    assert client.get(reverse("templates_app:list")).status_code == 403


def test_a_forged_self_approval_is_refused(client, desk):
    version = submitted(desk)
    client.force_login(desk.manager)
    forged = {
        "decision": "approve",
        "comment": "Mine is fine",
        "content_hash": version.content_hash(),
        "activate": "on",
    }
    assert client.post(reverse("templates_app:review", args=[version.pk]), forged).status_code == 403
    version.refresh_from_db()
    assert version.status == Status.SUBMITTED


def test_the_second_manager_sees_the_simulation_and_approves(client, desk, django_assert_max_num_queries):
    version = submitted(desk)
    client.force_login(desk.manager2)
    page = client.get(reverse("templates_app:review", args=[version.pk]))
    assert page.status_code == 200 and 'data-testid="simulation"' in page.content.decode()
    approve = {
        "decision": "approve",
        "comment": "Simulated, fine",
        "content_hash": version.content_hash(),
        "activate": "on",
    }
    response = client.post(reverse("templates_app:review", args=[version.pk]), approve)
    assert response.status_code == 302
    version.refresh_from_db()
    assert (version.status, version.review_comment) == (Status.ACTIVE, "Simulated, fine")


def test_an_approval_of_a_stale_page_is_refused_with_a_message(client, desk):
    version = submitted(desk)
    client.force_login(desk.manager2)
    stale = {"decision": "approve", "comment": "ok", "content_hash": "stale", "activate": "on"}
    response = client.post(reverse("templates_app:review", args=[version.pk]), stale)
    assert response.status_code == 400 and "changed since you opened it" in response.content.decode()


def test_rollback_from_the_version_page(client, desk):
    first = live(desk)
    client.force_login(desk.manager)
    client.post(reverse("templates_app:action", args=[first.pk, "new_draft"]))
    second = TemplateVersion.objects.get(number=2)
    client.post(reverse("templates_app:action", args=[second.pk, "submit"]), {"reason": ""})
    client.force_login(desk.manager2)
    client.post(
        reverse("templates_app:review", args=[second.pk]),
        {
            "decision": "approve",
            "comment": "ok",
            "content_hash": TemplateVersion.objects.get(pk=second.pk).content_hash(),
            "activate": "on",
        },
    )
    response = client.post(reverse("templates_app:action", args=[first.pk, "rollback"]), {"reason": "v2 misroutes"})
    assert response.status_code == 302
    assert dict(TemplateVersion.objects.values_list("number", "status")) == {1: Status.ACTIVE, 2: Status.SUPERSEDED}
    bad = client.post(reverse("templates_app:action", args=[first.pk, "rollback"]), {"reason": "again"}, follow=True)
    assert "was live before" in bad.content.decode()
    assert client.post(reverse("templates_app:action", args=[first.pk, "explode"])).status_code == 404


def test_the_pages_cost_a_fixed_number_of_queries(client, desk, django_assert_max_num_queries):
    version = live(desk)
    client.force_login(desk.l1_agent)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("templates_app:list")).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("templates_app:version", args=[version.pk])).status_code == 200


def test_the_ticket_page_shows_the_checklist_and_an_agent_signs_it(
    client, desk, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    live(desk, steps=HIGH_VALUE_STEPS)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = desk.open_ticket(severity=desk.p0)
    ticket = Ticket.objects.get(pk=ticket.pk)
    client.force_login(desk.l3_engineer)
    # The desk's 17 + runs, waiting triggers, checklists, records, participants; QA reads what the timeline read.
    with django_assert_max_num_queries(PAGE_WITH_RUNS):
        page = client.get(reverse("escalations:ticket", args=[ticket.number])).content.decode()
    assert "Confirm the customer impact" in page and "https://meet.example/war-room" in page
    item = ChecklistItem.objects.get(ticket=ticket)
    assert client.post(reverse("templates_app:sign", args=[item.pk]), {"decision": ""}).status_code == 302
    assert ChecklistItem.objects.get(pk=item.pk).signed_at is None
    client.post(reverse("templates_app:sign", args=[item.pk]), {"decision": "300 users in EU"})
    assert ChecklistItem.objects.get(pk=item.pk).decision == "300 users in EU"
    client.force_login(desk.outsider)
    assert client.post(reverse("templates_app:sign", args=[item.pk]), {"decision": "x"}).status_code == 404


@pytest.mark.parametrize(("action", "status"), [("submit", Status.DRAFT), ("activate", Status.APPROVED)])
def test_a_reason_with_a_nul_character_is_refused_with_a_message_and_nothing_changes(client, desk, action, status):
    version = draft(desk) if status == Status.DRAFT else submitted(desk)
    if status == Status.APPROVED:
        version = services.version_approve(
            version=version, by=desk.manager2, comment="ok", seen_hash=version.content_hash(), activate=False
        )
    client.force_login(desk.manager2)
    changes = version.history.count()
    url = reverse("templates_app:action", args=[version.pk, action])
    response = client.post(url, {"reason": "Goes\x00live"}, follow=True)
    assert "Null characters are not allowed" in response.content.decode()
    assert TemplateVersion.objects.get(pk=version.pk).status == status
    assert version.history.count() == changes


def test_yaml_export_and_import_round_trip_as_drafts(client, desk):
    live(desk)
    client.force_login(desk.manager)
    document = client.get(reverse("templates_app:export")).content.decode()
    assert "High-value customer incident" in document
    renamed = document.replace("High-value customer incident", "Copied incident path")
    assert client.post(reverse("templates_app:import"), {"document": renamed}).status_code == 302
    copy = Template.objects.get(name="Copied incident path").versions.get()
    assert (
        copy.status == Status.DRAFT
        and copy.steps == TemplateVersion.objects.get(number=1, template__name="High-value customer incident").steps
    )
    bad = client.post(reverse("templates_app:import"), {"document": "templates:\n- name: X\n  version: {event: nope}"})
    assert bad.status_code == 400 and "Unknown trigger event" in bad.content.decode()
    assert not Template.objects.filter(name="X").exists()


def test_a_new_template_is_created_by_a_manager_only(client, desk):
    client.force_login(desk.l1_agent)
    assert client.post(reverse("templates_app:create"), {"name": "Mine"}).status_code == 403
    client.force_login(desk.manager)
    assert client.post(reverse("templates_app:create"), {"name": "Lead routing failure"}).status_code == 302
    assert client.post(reverse("templates_app:create"), {"name": "lead routing failure"}).status_code == 200
    assert Template.objects.count() == 1


def test_a_draft_without_conditions_matches_every_ticket_of_its_event(client, desk):
    version = draft(desk)
    client.force_login(desk.manager)
    no_rows = {
        "conditions-0-field": "",
        "conditions-1-field": "",
        "groups-TOTAL_FORMS": "1",
        "groups-INITIAL_FORMS": "0",
    }
    response = client.post(reverse("templates_app:edit", args=[version.pk]), _editor_post(**no_rows))
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.conditions == {"match": "all", "groups": []}


def test_the_admin_shows_templates_read_only(client, desk):
    live(desk)
    client.force_login(desk.admin)
    assert client.get(reverse("admin:templates_app_templateversion_changelist")).status_code == 200
    assert client.get(reverse("admin:templates_app_templateversion_add")).status_code == 403
    for model in ("delayedtrigger", "validationwindow"):
        assert client.get(reverse(f"admin:templates_app_{model}_changelist")).status_code == 200
        assert client.get(reverse(f"admin:templates_app_{model}_add")).status_code == 403


def test_the_diff_and_simulation_pages_read_for_agents_and_refuse_outsiders(client, desk):
    first = live(desk)
    second = services.version_new_draft(version=first, by=desk.manager)
    client.force_login(desk.l1_agent)
    diff = client.get(reverse("templates_app:diff", args=[second.pk, first.pk]))
    assert diff.status_code == 200 and 'data-testid="diff"' in diff.content.decode()
    assert client.get(reverse("templates_app:simulate", args=[second.pk]), {"days": "oops"}).status_code == 200
    assert client.get(reverse("templates_app:diff", args=[second.pk, 999])).status_code == 404
    client.force_login(desk.outsider)
    assert client.get(reverse("templates_app:simulate", args=[second.pk])).status_code == 403


def test_an_agent_records_an_inbound_event_on_a_ticket(client, desk):
    ticket = desk.open_ticket()
    url = reverse("templates_app:inbound", args=[ticket.number])
    client.force_login(desk.l1_agent)
    client.post(url, {"name": "", "source": "crm"})
    assert not InboundEvent.objects.exists()
    client.post(url, {"name": "lead_rejected", "source": "paid_campaign"})
    assert InboundEvent.objects.get().name == "lead_rejected"
    client.force_login(desk.outsider)
    assert client.post(url, {"name": "lead_rejected"}).status_code == 404


def test_an_agent_of_another_tier_may_not_set_off_a_tickets_templates_with_an_inbound_event(
    client, desk, django_capture_on_commit_callbacks
):
    live(desk, event="inbound", conditions={"groups": []}, steps=[{"kind": "set_fields", "severity": "P0"}])
    ticket = desk.open_ticket()
    client.force_login(desk.l2_agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("templates_app:inbound", args=[ticket.number]), {"name": "lead_rejected"})
    assert response.status_code == 403
    assert not InboundEvent.objects.exists() and not TemplateRun.objects.exists()
    assert Ticket.objects.get(pk=ticket.pk).severity == desk.p3


def test_the_service_refuses_an_inbound_event_from_someone_who_does_not_work_the_ticket(desk):
    with pytest.raises(PermissionDenied, match="Only someone working"):
        services.inbound_event_record(ticket=desk.open_ticket(), by=desk.l2_agent, name="lead_rejected")
    assert not InboundEvent.objects.exists()


@pytest.mark.parametrize(("person", "offered"), [("l1_agent", True), ("manager", True), ("l2_agent", False)])
def test_the_ticket_page_offers_the_inbound_form_only_to_those_who_work_the_ticket(client, desk, person, offered):
    ticket = desk.open_ticket()
    client.force_login(getattr(desk, person))
    page = client.get(reverse("escalations:ticket", args=[ticket.number])).content.decode()
    assert (f'action="{reverse("templates_app:inbound", args=[ticket.number])}"' in page) is offered


def test_the_ticket_page_shows_the_validation_window_with_its_due_time(
    client, desk, django_capture_on_commit_callbacks
):
    steps = [{"kind": "human", "text": "Data steward: validate the lead sync"}]
    live(desk, steps=steps, conditions={}, validation_window_minutes=720, validation_owner=desk.manager2)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = desk.open_ticket(severity=desk.p3)
    window = ticket.validation_windows.get()
    client.force_login(desk.l1_agent)
    page = client.get(reverse("escalations:ticket", args=[ticket.number])).content.decode()
    due = window.due_at.astimezone(timezone.get_current_timezone())
    assert f"sign the checklist by <strong>{due:%a %-d %b, %H:%M}</strong>, else it goes to mateo.manager" in page


def test_the_ticket_page_shows_the_same_qa_verdicts_as_the_close_gate(client, desk, django_capture_on_commit_callbacks):
    steps = [{"kind": "notify", "audience": "managers", "message": "Heads up"}]
    live(desk, steps=steps, conditions={}, qa_ack_within_minutes=5, qa_notifications_delivered=True)
    ticket = desk.open_ticket(severity=desk.p3)
    run_event(ticket_id=ticket.pk, event="created")
    Notification.objects.filter(pk=Notification.objects.filter(ticket=ticket).first().pk).update(status="failed")
    client.force_login(desk.manager)
    page = client.get(reverse("escalations:ticket", args=[ticket.number])).content.decode()
    gate = [
        f"{check.name}: {check.detail}"
        for _run, checks in runs_with_checks(ticket, ticket_runs(ticket))
        for check in checks
    ]
    assert gate == ["Acknowledged within 5 min: not acknowledged yet", "Notifications delivered: 1 not delivered"]
    assert all(verdict in page for verdict in gate)


def _approved(desk) -> TemplateVersion:
    version = submitted(desk)
    return services.version_approve(
        version=version, by=desk.manager2, comment="ok", seen_hash=version.content_hash(), activate=False
    )


def _superseded(desk) -> TemplateVersion:
    first = live(desk)
    second = services.version_new_draft(version=first, by=desk.manager)
    second = services.version_submit(version=second, by=desk.manager)
    services.version_approve(version=second, by=desk.manager2, comment="ok", seen_hash=second.content_hash())
    return TemplateVersion.objects.get(pk=first.pk)


@pytest.mark.parametrize(
    ("make", "offered"),
    [
        (draft, {"Submit for approval"}),
        (submitted, {"Review for approval"}),
        (_approved, {"Activate", "Retire"}),
        (live, {"Retire"}),
        (_superseded, {"Roll back to this version", "Retire"}),
    ],
)
def test_the_version_page_offers_what_the_state_machine_allows_now(client, desk, make, offered):
    version = make(desk)
    client.force_login(desk.manager2)
    page = client.get(reverse("templates_app:version", args=[version.pk])).content.decode()
    buttons = {"Submit for approval", "Review for approval", "Activate", "Roll back to this version", "Retire"}
    assert {label for label in buttons if f">{label}</" in page} == offered
