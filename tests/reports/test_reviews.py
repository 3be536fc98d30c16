"""Post-escalation reviews of top-tier escalations: managers only, validated, once."""

import pytest
from django.urls import reverse

from escalations.models import Ticket
from reporting.models import EscalationReview
from tests.reports.conftest import at

pytestmark = pytest.mark.django_db

CUSTOM = {"period": "custom", "start": "2026-11-01", "end": "2026-11-04"}


@pytest.fixture
def to_l3(story, desk):
    """A P0 at L3 would skip the ladder; this one climbs: L1 → L2 → L3."""
    ticket = story.escalated(story.acknowledged(5), 20)
    ticket = story.acknowledge(ticket, 25, desk.l2_agent)
    ticket = story.escalated(Ticket.objects.get(pk=ticket.pk), 40, by=desk.l2_agent)
    return ticket.escalations.get(to_tier=desk.l3)


def _post(client, user, escalation, **data):
    client.force_login(user)
    fields = {"cause": "defect", "lower_tier_could_solve": "no", "follow_up": ""} | data
    with at(3 * 24 * 60):
        return client.post(
            reverse("reporting:review_create", args=[escalation.pk]) + "?period=custom&start=2026-11-01&end=2026-11-04",
            fields,
        )


def test_an_l3_escalation_waits_in_the_review_queue(client, desk, to_l3):
    client.force_login(desk.manager)
    with at(3 * 24 * 60):
        response = client.get(reverse("reporting:reviews"), CUSTOM)
    assert response.context["waiting"] == 1
    assert response.context["queue"] == [to_l3]
    reasons = {table.key: table for table in response.context["tables"]}["reasons"]
    assert {row[2].text for row in reasons.rows} == {"Resolution requires backend access", "Issue requires code change"}


def test_a_manager_records_a_review_and_the_escalation_leaves_the_queue(client, desk, to_l3):
    response = _post(client, desk.manager, to_l3, lower_tier_could_solve="yes", follow_up="Runbook for cert caching")
    assert response.status_code == 302
    review = EscalationReview.objects.get(escalation=to_l3)
    assert (review.cause, review.lower_tier_could_solve, review.reviewed_by) == ("defect", True, desk.manager)
    assert review.history.get().history_user == desk.manager
    with at(3 * 24 * 60):
        assert client.get(reverse("reporting:reviews"), CUSTOM).context["waiting"] == 0


def test_an_agent_may_not_review(client, desk, to_l3):
    assert _post(client, desk.l3_engineer, to_l3).status_code == 403
    assert not EscalationReview.objects.exists()


def test_a_review_without_a_cause_is_refused_with_a_message(client, desk, to_l3):
    response = _post(client, desk.manager, to_l3, cause="")
    assert response.status_code == 400
    assert "Cause: This field is required." in response.content.decode()
    assert not EscalationReview.objects.exists()


def test_a_lower_tier_that_could_have_solved_it_needs_a_follow_up(client, desk, to_l3):
    response = _post(client, desk.manager, to_l3, lower_tier_could_solve="yes")
    assert response.status_code == 400
    assert "say what follow-up" in response.content.decode()
    assert not EscalationReview.objects.exists()


def test_an_escalation_is_reviewed_once(client, desk, to_l3):
    _post(client, desk.manager, to_l3)
    response = _post(client, desk.manager2, to_l3)
    assert response.status_code == 400
    assert "already been reviewed" in response.content.decode()
    assert EscalationReview.objects.count() == 1


def test_only_top_tier_escalations_are_reviewed(client, desk, to_l3):
    to_l2 = to_l3.ticket.escalations.get(to_tier=desk.l2)
    assert _post(client, desk.manager, to_l2).status_code == 400
    assert not EscalationReview.objects.exists()


def test_reviewing_a_missing_escalation_is_not_found(client, desk):
    client.force_login(desk.manager)
    assert client.post(reverse("reporting:review_create", args=[999]), {"cause": "defect"}).status_code == 404
