"""The role groups get their declared permissions after every migrate (a post_migrate receiver, as Django's own
permissions are created), so they are code, not the history of data migrations."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import DEFAULT_DB_ALIAS, router
from django.db.models import Q

from escalations.roles import ROLE_PERMISSIONS


def role_groups_sync(*, using: str = DEFAULT_DB_ALIAS, apps=global_apps, **kwargs) -> None:
    """Create the role groups and give each exactly the permissions `ROLE_PERMISSIONS` declares for it.

    Safe to run any number of times. Permissions of the apps named there are created first: Django creates each app's
    after the migrate, app by app, and this may run before theirs. A permission that does not exist (a migrate to an
    older state) is not granted.
    """
    try:
        Group, Permission = apps.get_model("auth", "Group"), apps.get_model("auth", "Permission")
    except LookupError:  # auth not migrated (yet)
        return
    if not router.allow_migrate_model(using, Group):
        return
    for label in {label for grants in ROLE_PERMISSIONS.values() for label in grants}:
        create_permissions(global_apps.get_app_config(label), verbosity=0, using=using, apps=apps)
    for name, grants in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        declared = Q(pk__in=[])
        for label, codenames in grants.items():
            declared |= Q(content_type__app_label=label, codename__in=codenames)
        group.permissions.set(Permission.objects.using(using).filter(declared))
