"""The role groups are what escalations.roles declares, after every migrate, whatever an older release granted."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection
from django.test.utils import CaptureQueriesContext

from escalations import roles
from escalations.management import role_groups_sync

pytestmark = pytest.mark.django_db


def _grants(name: str) -> set[tuple[str, str]]:
    return set(Group.objects.get(name=name).permissions.values_list("content_type__app_label", "codename"))


def _declared(name: str) -> set[tuple[str, str]]:
    return {(label, codename) for label, codenames in roles.ROLE_PERMISSIONS[name].items() for codename in codenames}


@pytest.mark.parametrize("role", [roles.AGENTS, roles.MANAGERS, roles.ADMINS])
def test_a_migrated_database_gives_each_role_exactly_the_declared_permissions(role):
    assert _grants(role) == _declared(role)  # every declared permission exists: a misspelt codename fails here


def test_it_withdraws_what_an_older_release_granted_and_a_role_must_not_have():
    admins, agents = Group.objects.get(name=roles.ADMINS), Group.objects.get(name=roles.AGENTS)
    admins.permissions.add(*Permission.objects.filter(codename__in=["change_schedule", "delete_schedule"]))
    agents.permissions.add(Permission.objects.get(codename="manage_tickets"))
    role_groups_sync()
    assert _grants(roles.ADMINS) == _declared(roles.ADMINS)
    assert _grants(roles.AGENTS) == _declared(roles.AGENTS)


def test_a_migrate_recreates_missing_role_groups_and_leaves_teams_alone():
    team = Group.objects.create(name="support-generalists")
    team.permissions.add(Permission.objects.get(codename="view_tier"))
    Group.objects.filter(name__in=roles.ROLE_PERMISSIONS).delete()
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert all(_grants(role) == _declared(role) for role in roles.ROLE_PERMISSIONS)
    assert list(team.permissions.values_list("codename", flat=True)) == ["view_tier"]


def test_running_it_again_writes_nothing():
    with CaptureQueriesContext(connection) as queries:
        role_groups_sync()
    writes = [query["sql"] for query in queries if query["sql"].startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes == []
