import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_policy_page_shows_the_ladder_criteria_and_overrides(client, desk, django_assert_max_num_queries):
    client.force_login(desk.l1_agent)
    with django_assert_max_num_queries(10):
        page = client.get(reverse("templates_app:policy")).content.decode()
    assert "first response 4h · resolution 24h" in page
    assert "Resolution requires backend access" in page
    assert "Top of the ladder" in page
