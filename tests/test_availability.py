"""The availability page: people mark themselves away (or a manager does), and failover skips them at once."""

import pytest
from django.urls import reverse

from escalations import services
from escalations.models import Profile, Ticket

pytestmark = pytest.mark.django_db
URL = reverse("escalations:availability")


def _away(user) -> bool:
    return Profile.objects.filter(user=user, is_away=True).exists()


def test_an_agent_sees_only_themselves_and_can_mark_themselves_away(client, desk):
    client.force_login(desk.l1_agent)
    people = client.get(URL).context["people"]
    assert [person.username for person in people] == [desk.l1_agent.username]
    response = client.post(URL, {"person": desk.l1_agent.pk, "away": "1"}, follow=True)
    assert _away(desk.l1_agent)
    assert "alice.l1 is away." in response.content.decode()
    client.post(URL, {"person": desk.l1_agent.pk, "away": "0"})
    assert not _away(desk.l1_agent)


def test_going_away_fails_over_what_awaits_ones_acknowledgement_at_once(client, desk):
    ticket = services.ticket_assign(ticket=desk.open_ticket(), by=desk.manager, owner=desk.l1_agent)
    client.force_login(desk.l1_agent)
    client.post(URL, {"person": desk.l1_agent.pk, "away": "1"})
    ticket.refresh_from_db()
    assert ticket.acknowledgement_due <= ticket.updated_at
    assert ticket.history.first().history_change_reason == "alice.l1 is away: fails over at once"


def test_an_agent_cannot_mark_someone_else_away_whatever_the_post_says(client, desk):
    client.force_login(desk.l1_agent)
    response = client.post(URL, {"person": desk.l2_agent.pk, "away": "1"})
    assert response.status_code == 403
    assert not _away(desk.l2_agent)


def test_a_manager_sees_the_desk_with_pending_acknowledgements_and_marks_an_agent_away(
    client, desk, django_assert_max_num_queries
):
    services.ticket_assign(ticket=desk.open_ticket(severity=desk.p2), by=desk.manager, owner=desk.l2_agent)
    client.force_login(desk.manager)
    with django_assert_max_num_queries(7):
        response = client.get(URL)
    rows = {person.username: person for person in response.context["people"]}
    assert desk.outsider.username not in rows
    assert rows[desk.l2_agent.username].awaiting_acknowledgement == 1
    assert [group.name for group in rows[desk.l2_agent.username].desk_groups] == ["Agents", "support-specialists"]
    client.post(URL, {"person": desk.l2_agent.pk, "away": "1"})
    assert _away(desk.l2_agent)
    assert Ticket.objects.get(primary_owner=desk.l2_agent).status == Ticket.Status.ASSIGNED


@pytest.mark.parametrize("data", [{}, {"person": "nobody", "away": "1"}, {"person": 1, "away": "maybe"}])
def test_bad_input_is_refused_with_a_message_and_changes_nothing(client, desk, data):
    client.force_login(desk.manager)
    response = client.post(URL, data, follow=True)
    assert response.status_code == 200
    assert "Choose a person and whether they are away." in response.content.decode()
    assert not Profile.objects.filter(is_away=True).exists()
