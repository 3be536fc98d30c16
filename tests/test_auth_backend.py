"""Permissions come from one's groups and one's own grants, read in one query."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

pytestmark = pytest.mark.django_db


def test_a_person_has_their_groups_and_their_own_permissions_in_one_query(desk, django_assert_num_queries):
    agent = get_user_model().objects.get(pk=desk.l1_agent.pk)
    agent.user_permissions.add(Permission.objects.get(codename="view_tier"))
    with django_assert_num_queries(1):
        assert agent.has_perm("escalations.work_tickets")  # from the Agents group
        assert agent.has_perm("escalations.view_tier")  # granted to the person
        assert not agent.has_perm("escalations.manage_tickets")
    assert agent.get_all_permissions() >= {"escalations.work_tickets", "escalations.view_tier"}


def test_an_inactive_person_has_no_permission_and_a_superuser_has_every_one(desk):
    inactive = get_user_model().objects.get(pk=desk.manager.pk)
    inactive.is_active = False
    assert not inactive.has_perm("escalations.manage_tickets")
    root = get_user_model().objects.create_superuser("root", "root@desk.example", "x")
    assert len(root.get_all_permissions()) == Permission.objects.count()
