import pytest
from django.urls import reverse

from escalations import services

pytestmark = pytest.mark.django_db


def test_the_policy_page_shows_the_ladder_criteria_and_overrides(client, desk, django_assert_max_num_queries):
    client.force_login(desk.l1_agent)
    with django_assert_max_num_queries(10):
        page = client.get(reverse("templates_app:policy")).content.decode()
    assert "first response 4h · resolution 24h" in page
    assert "Resolution requires backend access" in page
    assert "Top of the ladder" in page


def test_the_workload_report_counts_tickets_per_tier(client, desk, django_assert_max_num_queries):
    services.ticket_assign(ticket=desk.open_ticket(), by=desk.manager, owner=desk.l1_agent)
    desk.open_ticket(title="New one")
    desk.open_ticket(title="Outage", severity=desk.p0)
    client.force_login(desk.manager)
    with django_assert_max_num_queries(7):
        response = client.get(reverse("reporting:overview"))
    counts = {
        tier.level: (tier.open_count, tier.awaiting_ack_count, tier.resolved_count)
        for tier in response.context["tiers"]
    }
    assert counts == {1: (2, 1, 0), 2: (0, 0, 0), 3: (1, 0, 0)}
