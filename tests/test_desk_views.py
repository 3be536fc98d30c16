import pytest
from django.urls import reverse

from escalations import services
from escalations.models import Ticket

pytestmark = pytest.mark.django_db


def _transition_url(ticket: Ticket, name: str) -> str:
    return reverse("escalations:ticket_transition", args=[ticket.number, name])


def test_the_ticket_page_shows_the_timeline_and_only_allowed_actions(client, desk, django_assert_max_num_queries):
    ticket = desk.open_ticket()
    services.ticket_assign(ticket=ticket, by=desk.manager, owner=desk.l1_agent, reason="Alice knows SSO")
    client.force_login(desk.l1_agent)
    with django_assert_max_num_queries(18):  # 16 + the runs and waiting triggers of guided templates (none here)
        response = client.get(reverse("escalations:ticket", args=[ticket.number]))
    assert [t.name for t in response.context["transitions"]] == ["acknowledge", "escalate", "transfer"]
    assert "Alice knows SSO" in response.content.decode()
    assert response.context["timeline"][0].actor == desk.manager.username


@pytest.mark.parametrize("method", ["get", "post"])
def test_people_outside_the_tier_are_forbidden_to_act(client, desk, method):
    ticket = services.ticket_assign(ticket=desk.open_ticket(), by=desk.manager, owner=desk.l1_agent)
    client.force_login(desk.l2_agent)
    response = getattr(client, method)(_transition_url(ticket, "acknowledge"), {"version": ticket.version})
    assert response.status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.ASSIGNED


def test_an_unknown_ticket_or_action_is_not_found(client, desk):
    ticket = desk.open_ticket()
    client.force_login(desk.manager)
    assert client.get(reverse("escalations:ticket", args=[99])).status_code == 404
    assert client.get(f"/tickets/SUP-{ticket.number}/delete/").status_code == 404


def test_people_without_a_role_cannot_read_tickets(client, desk):
    ticket = desk.open_ticket()
    client.force_login(desk.outsider)
    assert client.get(reverse("escalations:ticket", args=[ticket.number])).status_code == 404


def test_an_agent_opens_a_ticket_from_a_phone_call(client, desk):
    client.force_login(desk.l1_agent)
    response = client.post(
        reverse("escalations:ticket_create"),
        {
            "title": "Checkout <b>down</b>",
            "account": desk.acme.pk,
            "requester": "jane@acme.com",
            "category": "performance",
            "severity": desk.p1.pk,
            "description": "Since 09:00",
        },
    )
    ticket = Ticket.objects.get()
    assert response.url == reverse("escalations:ticket", args=[ticket.number])
    assert ticket.tier == desk.l3 and ticket.created_by == desk.l1_agent
    page = client.get(response.url).content.decode()
    assert "Checkout &lt;b&gt;down&lt;/b&gt;" in page


def test_a_bad_ticket_form_saves_nothing(client, desk):
    client.force_login(desk.l1_agent)
    response = client.post(reverse("escalations:ticket_create"), {"title": "", "account": 999, "category": "nope"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) >= {"title", "account", "category", "severity"}
    assert not Ticket.objects.exists()


def test_outsiders_cannot_open_tickets(client, desk):
    client.force_login(desk.outsider)
    assert client.get(reverse("escalations:ticket_create")).status_code == 403
