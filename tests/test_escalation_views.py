"""The guided escalation in the browser's terms: forms, status codes, what is saved and what is refused."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from escalations import services
from escalations.models import Escalation, OwnershipTransfer, Ticket
from tests.conftest import FULL_NOTE

pytestmark = pytest.mark.django_db


def _form_data(ticket: Ticket, **overrides) -> dict:
    data = {
        **FULL_NOTE,
        "symptoms": "\n".join(FULL_NOTE["symptoms"]),
        "steps_taken": "\n".join(FULL_NOTE["steps_taken"]),
        "criteria": [ticket.tier.criteria.first().pk],
        "rationale": "The IdP side is verified; the platform side needs backend access",
        "owner": "",
        "version": ticket.version,
    }
    return data | overrides


def _escalate_url(ticket: Ticket) -> str:
    return reverse("escalations:ticket_escalate", args=[ticket.number])


def test_the_escalation_page_offers_the_tiers_criteria_and_states_the_decision(client, desk):
    ticket = desk.working_at_l1()
    client.force_login(desk.l1_agent)
    page = client.get(_escalate_url(ticket)).content.decode()
    assert "Resolution requires backend access" in page and "Customer requests escalation" in page
    assert "needs a manager override" in page
    assert "optional for L2" in page


def test_an_agent_escalates_and_lands_on_the_brief_and_customer_draft(client, desk):
    ticket = desk.working_at_l1()
    client.force_login(desk.l1_agent)
    log = SimpleUploadedFile("saml.har", b'{"log": {}}', content_type="application/json")
    response = client.post(_escalate_url(ticket), _form_data(ticket, attachments=[log]))
    escalation = Escalation.objects.get()
    assert response.url == reverse("escalations:escalation", args=[escalation.pk])
    assert escalation.note.symptoms == FULL_NOTE["symptoms"]
    assert escalation.attachments.get().name == "saml.har"
    page = client.get(response.url).content.decode()
    assert "Handoff brief for L2" in page and "Customer acknowledgement draft" in page
    assert "saml.har" in page
    download = client.get(
        reverse("escalations:escalation_attachment", args=[escalation.pk, escalation.attachments.get().pk])
    )
    assert b"".join(download.streaming_content) == b'{"log": {}}'
    assert "attachment" in download["Content-Disposition"]
    client.force_login(desk.outsider)
    assert client.get(reverse("escalations:escalation_attachment", args=[escalation.pk, 1])).status_code == 404


def test_the_brief_and_draft_download_as_markdown(client, desk):
    escalation = desk.escalate(desk.working_at_l1(), by=desk.l1_agent)
    client.force_login(desk.l2_agent)
    response = client.get(reverse("escalations:escalation_document", args=[escalation.pk, "handoff-brief"]))
    assert response["Content-Type"].startswith("text/markdown")
    assert "SUP-10001-handoff-brief.md" in response["Content-Disposition"]
    assert FULL_NOTE["summary"] in response.content.decode()
    assert client.get(reverse("escalations:escalation_document", args=[escalation.pk, "secrets"])).status_code == 404


def test_missing_fields_are_named_on_the_form_and_nothing_is_saved(client, desk):
    ticket = desk.working_at_l1()
    client.force_login(desk.l1_agent)
    response = client.post(_escalate_url(ticket), _form_data(ticket, summary="", customer_impact="", rationale=""))
    assert response.status_code == 200
    assert {"summary", "customer_impact", "rationale"} <= set(response.context["form"].errors)
    assert not Escalation.objects.exists() and Ticket.objects.get().tier == desk.l1


def test_going_to_engineering_without_the_handoff_names_what_is_missing(client, desk):
    ticket = desk.working_at_l1()
    desk.escalate(ticket, by=desk.l1_agent)
    services.ticket_acknowledge(ticket=ticket, by=desk.l2_agent)
    client.force_login(desk.l2_agent)
    data = _form_data(ticket, reproduction_steps="", logs="", criteria=[ticket.tier.criteria.first().pk])
    response = client.post(_escalate_url(ticket), data)
    assert "reproduction_steps" in response.context["form"].errors
    assert "Paste the logs or attach a file" in response.content.decode()
    assert Escalation.objects.count() == 1


def test_an_agent_without_criteria_gets_the_override_message_not_an_error_page(client, desk):
    ticket = desk.working_at_l1()
    client.force_login(desk.l1_agent)
    response = client.post(_escalate_url(ticket), _form_data(ticket, criteria=[]))
    assert response.status_code == 200
    assert "needs a manager override" in response.content.decode()
    assert not Escalation.objects.exists()


def test_html_in_the_note_is_shown_as_text(client, desk):
    ticket = desk.working_at_l1()
    client.force_login(desk.l1_agent)
    client.post(_escalate_url(ticket), _form_data(ticket, summary="<script>alert(1)</script>"))
    page = client.get(reverse("escalations:escalation", args=[Escalation.objects.get().pk])).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_stale_escalation_form_answers_409_and_keeps_what_was_typed(client, desk):
    ticket = desk.working_at_l1()
    stale_version = ticket.version
    services.ticket_add_note(ticket=ticket, by=desk.manager, visibility="public", body="Update")
    services.ticket_wait_on_customer(ticket=ticket, by=desk.manager, reason="Asked for logs")
    client.force_login(desk.l1_agent)
    response = client.post(_escalate_url(ticket), _form_data(ticket, version=stale_version, summary="Typed with care"))
    assert response.status_code == 409
    body = response.content.decode()
    assert "changed since you opened it (by maria.manager" in body
    assert "Typed with care" in body
    assert not Escalation.objects.exists()


@pytest.mark.parametrize("person, status", [("l2_agent", 403), ("outsider", 404), ("l1_agent", 200), ("manager", 200)])
def test_who_may_open_the_escalation_page(client, desk, person, status):
    ticket = desk.working_at_l1()
    client.force_login(getattr(desk, person))
    assert client.get(_escalate_url(ticket)).status_code == status


def test_a_forbidden_escalation_post_changes_nothing(client, desk):
    ticket = desk.working_at_l1()
    client.force_login(desk.l2_agent)
    assert client.post(_escalate_url(ticket), _form_data(ticket)).status_code == 403
    assert not Escalation.objects.exists()


def test_deescalation_and_the_ping_pong_refusal_through_the_pages(client, desk):
    ticket = desk.working_at_l1()
    desk.escalate(ticket, by=desk.l1_agent)
    services.ticket_acknowledge(ticket=ticket, by=desk.l2_agent)
    desk.escalate(ticket, by=desk.l2_agent)
    services.ticket_acknowledge(ticket=ticket, by=desk.l3_engineer)
    client.force_login(desk.l3_engineer)
    url = reverse("escalations:ticket_deescalate", args=[ticket.number])
    response = client.post(
        url,
        {
            "to_tier": desk.l2.pk,
            "reason": services.DEESCALATION_REASONS[0],
            "rationale": "Monitor",
            "version": ticket.version,
        },
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    services.ticket_acknowledge(ticket=ticket, by=desk.l2_agent)
    client.force_login(desk.l2_agent)
    response = client.post(_escalate_url(ticket), _form_data(ticket))
    assert "would ping-pong" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.tier == desk.l2 and ticket.flagged_at is not None
    queue_page = client.get(reverse("escalations:queue") + "?scope=team").content.decode()
    assert "Ping-pong refused" in queue_page


def test_transfer_ownership_through_the_page(client, desk):
    ticket = desk.working_at_l1()
    client.force_login(desk.l1_agent)
    url = reverse("escalations:ticket_transfer", args=[ticket.number])
    data = {
        "role": "backup",
        "to_owner": desk.l1_agent.pk,
        "reason": "Cover",
        "expected_response": "30m",
        "version": ticket.version,
    }
    response = client.post(url, data)
    assert "is the primary owner" in response.content.decode()
    desk.l2_agent.groups.add(desk.l1.team)
    response = client.post(url, data | {"to_owner": desk.l2_agent.pk})
    assert response.status_code == 302
    assert OwnershipTransfer.objects.get().expected_response == timedelta(minutes=30)


def test_notes_are_added_and_shown_in_the_timeline(client, desk):
    ticket = desk.working_at_l1()
    client.force_login(desk.l1_agent)
    client.post(
        reverse("escalations:ticket_add_note", args=[ticket.number]),
        {"visibility": "internal", "body": "Called the customer"},
    )
    response = client.post(
        reverse("escalations:ticket_add_note", args=[ticket.number]),
        {"visibility": "internal", "body": " "},
        follow=True,
    )
    assert "empty note" in response.content.decode()
    timeline = client.get(reverse("escalations:ticket", args=[ticket.number])).context["timeline"]
    assert [entry.body for entry in timeline if entry.kind == "note-internal"] == ["Called the customer"]


def test_the_ticket_page_with_a_long_timeline_costs_a_fixed_number_of_queries(
    client, desk, django_assert_max_num_queries
):
    ticket = desk.working_at_l1()
    for index in range(20):
        services.ticket_add_note(ticket=ticket, by=desk.l1_agent, visibility="internal", body=f"Note {index}")
    desk.escalate(ticket, by=desk.l1_agent)
    services.ticket_acknowledge(ticket=ticket, by=desk.l2_agent)
    desk.deescalate(ticket, by=desk.l2_agent, to_tier=desk.l1)
    client.force_login(desk.l1_agent)
    with django_assert_max_num_queries(21):  # 19 + the runs and waiting triggers of guided templates (none here)
        response = client.get(reverse("escalations:ticket", args=[ticket.number]))
    assert len(response.context["timeline"]) >= 27


def test_two_agents_acting_on_one_ticket_one_wins_and_the_other_gets_409(client, desk):
    ticket = services.ticket_assign(ticket=desk.open_ticket(), by=desk.manager, owner=desk.l1_agent)
    url = reverse("escalations:ticket_transition", args=[ticket.number, "acknowledge"])
    version = ticket.version
    client.force_login(desk.l1_agent)
    assert client.post(url, {"reason": "Mine", "version": version}).status_code == 302
    client.force_login(desk.manager)
    response = client.post(url, {"reason": "Taking it", "version": version})
    assert response.status_code == 409
    assert "changed since you opened it (by alice.l1" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.primary_owner == desk.l1_agent
    assert ticket.history.latest().history_change_reason == "Mine"


def test_acknowledging_records_when_the_assignment_was_accepted(client, desk):
    ticket = services.ticket_assign(ticket=desk.open_ticket(), by=desk.manager, owner=desk.l1_agent)
    assert ticket.assigned_at is not None and ticket.acknowledged_at is None
    services.ticket_acknowledge(ticket=ticket, by=desk.l1_agent)
    assert ticket.acknowledged_at >= ticket.assigned_at


def test_an_attachment_whose_file_is_gone_answers_404_not_500(client, desk):
    ticket = desk.working_at_l1()
    log = SimpleUploadedFile("gone.log", b"x")
    escalation = desk.escalate(ticket, by=desk.l1_agent, attachments=[log])
    attachment = escalation.attachments.get()
    attachment.file.storage.delete(attachment.file.name)
    client.force_login(desk.l1_agent)
    url = reverse("escalations:escalation_attachment", args=[escalation.pk, attachment.pk])
    assert client.get(url).status_code == 404
