"""An Admin in the Django admin gets what Admins manage, never what a role reserves for someone else."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule, Success
from simple_history.admin import SimpleHistoryAdmin

from config.admin import AuditedAdmin
from escalations import roles, services
from escalations.models import Profile, Ticket
from templates_app import services as templates
from templates_app.models import InboundSource, Template
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _split(moment) -> dict:
    local = timezone.localtime(moment)
    return {"0": local.date().isoformat(), "1": local.time().strftime("%H:%M:%S")}


def _schedule_post(schedule: Schedule, **changes) -> dict:
    """The change form as a browser posts it back."""
    next_run = _split(schedule.next_run)
    fields = ["name", "func", "hook", "args", "kwargs", "schedule_type", "minutes", "repeats", "cron", "cluster"]
    data = {name: getattr(schedule, name) or "" for name in fields}
    return data | {"next_run_0": next_run["0"], "next_run_1": next_run["1"], "intended_date_kwarg": ""} | changes


def _user_post(person, **changes) -> dict:
    joined = _split(person.date_joined)
    data = {
        "username": person.username,
        "email": person.email,
        "first_name": "",
        "last_name": "",
        "is_active": "on",
        "groups": [group.pk for group in person.groups.all()],
        "date_joined_0": joined["0"],
        "date_joined_1": joined["1"],
        "last_login_0": "",
        "last_login_1": "",
    }
    return data | changes


@pytest.fixture
def as_admin(client, desk):
    client.force_login(desk.admin)
    return client


@pytest.fixture
def as_root(client, desk):
    root = get_user_model().objects.create_superuser("root", "root@desk.example", PASSWORD)
    client.force_login(root)
    return client


@pytest.fixture
def retry_schedule():
    return Schedule.objects.get(name="Notification retries")  # made by escalations' migration 0007


# 1. The task queue runs code: only superusers change it.


def test_an_admin_cannot_make_a_schedule_run_a_shell_command(as_admin, retry_schedule):
    url = reverse("admin:django_q_schedule_change", args=[retry_schedule.pk])
    assert as_admin.get(url).status_code == 200  # Admins still read the schedules
    forged = _schedule_post(retry_schedule, func="os.system", args="'touch /tmp/pwned'", hook="os.system")
    assert as_admin.post(url, forged).status_code == 403
    assert Schedule.objects.filter(pk=retry_schedule.pk, func=retry_schedule.func, args=None, hook=None).exists()


def test_an_admin_cannot_add_a_schedule(as_admin, retry_schedule):
    forged = _schedule_post(retry_schedule, name="Backdoor", func="os.system", args="'id'")
    assert as_admin.post(reverse("admin:django_q_schedule_add"), forged).status_code == 403
    assert not Schedule.objects.filter(name="Backdoor").exists()


def test_a_granted_change_schedule_permission_does_not_open_the_queue_to_an_admin(as_admin, desk, retry_schedule):
    admins = Group.objects.get(name=roles.ADMINS)
    admins.permissions.add(*Permission.objects.filter(content_type__app_label="django_q"))
    url = reverse("admin:django_q_schedule_change", args=[retry_schedule.pk])
    assert as_admin.post(url, _schedule_post(retry_schedule, func="os.system", args="'id'")).status_code == 403
    assert as_admin.post(reverse("admin:django_q_schedule_add"), _schedule_post(retry_schedule)).status_code == 403
    assert Schedule.objects.get(pk=retry_schedule.pk).func == retry_schedule.func


def test_the_migrations_leave_admins_no_write_on_the_task_queue():
    admins = Group.objects.get(name=roles.ADMINS)
    queue = admins.permissions.filter(content_type__app_label="django_q")
    assert queue.exists() and not queue.exclude(codename__startswith="view_").exists()


def test_an_admin_cannot_resubmit_a_task(as_admin, monkeypatch):
    submitted = []
    monkeypatch.setattr("django_q.admin.async_task", lambda *args, **kwargs: submitted.append(args))
    task = Success.objects.create(
        id="a" * 32,
        name="done",
        func="os.system",
        args=("id",),
        started=timezone.now(),
        stopped=timezone.now(),
        success=True,
    )
    as_admin.post(
        reverse("admin:django_q_success_changelist"), {"action": "resubmit_task", "_selected_action": task.pk}
    )
    assert submitted == []


def test_a_superuser_still_changes_a_schedule(as_root, retry_schedule):
    url = reverse("admin:django_q_schedule_change", args=[retry_schedule.pk])
    assert as_root.post(url, _schedule_post(retry_schedule, minutes=2)).status_code == 302
    retry_schedule.refresh_from_db()
    assert retry_schedule.minutes == 2


# 2. Roles and permissions are granted by superusers only.


def test_an_admin_cannot_make_themselves_a_superuser(as_admin, desk):
    url = reverse("admin:auth_user_change", args=[desk.admin.pk])
    response = as_admin.post(url, _user_post(desk.admin, is_superuser="on", is_staff="on"))
    assert response.status_code == 403
    desk.admin.refresh_from_db()
    assert not desk.admin.is_superuser


def test_an_admin_cannot_add_an_agent_to_managers_or_grant_them_permissions(as_admin, desk):
    managers = Group.objects.get(name=roles.MANAGERS)
    manage = Permission.objects.get(codename="manage_tickets")
    url = reverse("admin:auth_user_change", args=[desk.l1_agent.pk])
    as_admin.post(url, _user_post(desk.l1_agent, groups=[managers.pk]))
    as_admin.post(url, _user_post(desk.l1_agent, user_permissions=[manage.pk], is_superuser="on", is_staff="on"))
    agent = get_user_model().objects.get(pk=desk.l1_agent.pk)
    assert not agent.groups.filter(pk=managers.pk).exists() and not agent.user_permissions.exists()
    assert not (agent.is_superuser or agent.is_staff or roles.is_manager(agent))


def test_an_admin_manages_agents_and_their_teams(as_admin, desk):
    url = reverse("admin:auth_user_change", args=[desk.l1_agent.pk])
    teams = [Group.objects.get(name=roles.AGENTS).pk, desk.l2.team_id]
    response = as_admin.post(url, _user_post(desk.l1_agent, email="alice@new.example", groups=teams))
    assert response.status_code == 302
    desk.l1_agent.refresh_from_db()
    assert desk.l1_agent.email == "alice@new.example"
    assert set(desk.l1_agent.groups.values_list("pk", flat=True)) == set(teams)


def test_a_new_account_an_admin_adds_gets_no_role_they_reserve(as_admin, desk):
    managers = Group.objects.get(name=roles.MANAGERS)
    forged = {
        "username": "mallory",
        "usable_password": "true",
        "password1": "a-long-enough-password-2026",
        "password2": "a-long-enough-password-2026",
        "is_superuser": "on",
        "groups": [managers.pk],
    }
    assert as_admin.post(reverse("admin:auth_user_add"), forged).status_code == 302
    mallory = get_user_model().objects.get(username="mallory")
    as_admin.post(reverse("admin:auth_user_change", args=[mallory.pk]), _user_post(mallory, groups=[managers.pk]))
    mallory.refresh_from_db()
    assert not mallory.is_superuser and not mallory.groups.exists()


@pytest.mark.parametrize("person", ["superuser", "other_admin", "manager"])
def test_an_admin_cannot_edit_or_reset_the_password_of_someone_privileged(as_admin, desk, person):
    people = {
        "superuser": lambda: get_user_model().objects.create_superuser("root", "root@desk.example", PASSWORD),
        "other_admin": lambda: _second_admin(),
        "manager": lambda: desk.manager,
    }
    target = people[person]()
    password = reverse("admin:auth_user_password_change", args=[target.pk])
    reset = {"password1": "taken-over-2026!", "password2": "taken-over-2026!", "usable_password": "true"}
    assert as_admin.post(password, reset).status_code == 403
    change = reverse("admin:auth_user_change", args=[target.pk])
    assert as_admin.post(change, _user_post(target, email="mallory@evil.example")).status_code == 403
    target.refresh_from_db()
    assert target.check_password(PASSWORD) and target.email != "mallory@evil.example"


def _second_admin():
    other = get_user_model().objects.create_user("adam.admin", "adam@desk.example", PASSWORD)
    other.groups.add(Group.objects.get(name=roles.ADMINS))
    return other


@pytest.mark.parametrize("role", [roles.AGENTS, roles.MANAGERS, roles.ADMINS])
def test_an_admin_cannot_change_a_role_groups_permissions_or_members(as_admin, desk, role):
    group = Group.objects.get(name=role)
    before = set(group.permissions.values_list("pk", flat=True))
    manage = Permission.objects.get(codename="manage_tickets")
    forged = {"name": role, "permissions": [*before, manage.pk], "users": [desk.l1_agent.pk]}
    assert as_admin.post(reverse("admin:auth_group_change", args=[group.pk]), forged).status_code == 403
    assert set(group.permissions.values_list("pk", flat=True)) == before
    assert role == roles.AGENTS or not desk.l1_agent.groups.filter(name=role).exists()


def test_an_admin_names_teams_but_cannot_give_a_group_permissions(as_admin, desk):
    manage = Permission.objects.get(codename="manage_tickets")
    url = reverse("admin:auth_group_change", args=[desk.l1.team_id])
    assert as_admin.post(url, {"name": "support-front-line", "permissions": [manage.pk]}).status_code == 302
    as_admin.post(reverse("admin:auth_group_add"), {"name": "support-nights", "permissions": [manage.pk]})
    assert Group.objects.get(pk=desk.l1.team_id).name == "support-front-line"
    assert not Permission.objects.filter(group__name__in=["support-front-line", "support-nights"]).exists()
    assert Group.objects.filter(name="support-nights").exists()


# 8. History pages show old versions; nobody writes one back.


def test_every_admin_with_a_history_page_refuses_reverts():
    history_admins = [
        model_admin for model_admin in admin.site._registry.values() if isinstance(model_admin, SimpleHistoryAdmin)
    ]
    assert len(history_admins) >= 8
    assert all(isinstance(model_admin, AuditedAdmin) for model_admin in history_admins)


def _template(desk) -> Template:
    version = templates.template_create(by=desk.manager, name="Lead routing failure")
    return version.template


def _inbound_source(desk) -> InboundSource:
    return templates.inbound_source_save(source=InboundSource(slug="crm", name="CRM"), by=desk.admin, token="t" * 40)


def _profile(desk) -> Profile:
    from escalations.services.people import profile_set_away

    return profile_set_away(user=desk.l1_agent, by=desk.l1_agent, is_away=False)


@pytest.mark.parametrize(
    "make, forged, field",
    [
        (
            _template,
            {"name": "Renamed", "created_by": "", "created_at_0": "2020-01-01", "created_at_1": "00:00:00"},
            "name",
        ),
        (lambda desk: _template(desk).versions.get(), {"number": 7, "status": "active"}, "status"),
        (_inbound_source, {"name": "Forged", "slug": "crm", "is_active": ""}, "name"),
        (_profile, {"user": "", "is_away": "on"}, "is_away"),
    ],
    ids=["template", "template_version", "inbound_source", "profile"],
)
def test_a_forged_post_on_a_history_page_changes_nothing(as_admin, desk, make, forged, field):
    record = make(desk)
    before = getattr(record, field)
    meta = record._meta
    version = record.history.latest()
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_simple_history", args=[record.pk, version.history_id])
    assert as_admin.get(url).status_code == 200
    assert as_admin.post(url, forged).status_code == 403
    record.refresh_from_db()
    assert getattr(record, field) == before


# 10. The ticket admin answers every transition name without a 500 and without a state change.


@pytest.fixture
def as_admin_who_manages(desk):
    desk.admin.groups.add(Group.objects.get(name=roles.MANAGERS))  # every transition's permission, to prove the admin
    client = Client(raise_request_exception=False)  # refuses by name, not by role
    client.force_login(desk.admin)
    return client


@override_settings(DEBUG=False)
@pytest.mark.parametrize("name", ["escalate", "deescalate", "transfer", "delete", "save", "nonexistent", "__class__"])
def test_the_ticket_admin_refuses_transitions_it_does_not_offer(as_admin_who_manages, desk, name):
    ticket = desk.working_at_l1()
    change = reverse("admin:escalations_ticket_change", args=[ticket.pk])
    response = as_admin_who_manages.post(change, {"_fsm_transition_to": name})
    assert response.status_code in (403, 404)
    transition = reverse("admin:escalations_ticket_transition", args=[ticket.pk, name])
    assert as_admin_who_manages.get(transition).status_code in (403, 404)
    assert as_admin_who_manages.post(transition, {"reason": "forced", "to_tier": desk.l2.pk}).status_code in (403, 404)
    assert Ticket.objects.filter(pk=ticket.pk, status=Ticket.Status.IN_PROGRESS, tier=desk.l1).exists()


@override_settings(DEBUG=False)
def test_the_ticket_admin_says_why_it_refuses_a_guided_transition(as_admin_who_manages, desk):
    ticket = desk.working_at_l1()
    change = reverse("admin:escalations_ticket_change", args=[ticket.pk])
    response = as_admin_who_manages.post(change, {"_fsm_transition_to": "escalate"})
    assert response.status_code == 403
    assert "use its page on the desk" in response.content.decode()


def test_a_transition_the_admin_offers_still_runs_through_its_service(as_admin_who_manages, desk):
    ticket = desk.working_at_l1()
    change = reverse("admin:escalations_ticket_change", args=[ticket.pk])
    response = as_admin_who_manages.post(change, {"_fsm_transition_to": "resolve"})
    assert response.url == reverse("admin:escalations_ticket_transition", args=[ticket.pk, "resolve"])
    form = as_admin_who_manages.get(response.url)
    assert form.status_code == 200 and 'name="reason"' in form.content.decode()
    assert as_admin_who_manages.post(response.url, {"reason": "Fixed by the IdP update"}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED
    assert ticket.history.latest().history_change_reason.startswith("Fixed by the IdP update")


def test_a_bad_transition_form_is_shown_again_with_its_errors(as_admin_who_manages, desk):
    ticket = desk.working_at_l1()
    url = reverse("admin:escalations_ticket_transition", args=[ticket.pk, "resolve"])
    assert as_admin_who_manages.post(url, {"reason": ""}).status_code == 200
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.IN_PROGRESS


# 11. The away flag set in the admin goes through the service.


def test_marking_someone_away_in_the_admin_fails_over_and_is_audited(as_admin, desk):
    ticket = services.ticket_assign(ticket=desk.open_ticket(), by=desk.manager, owner=desk.l1_agent)
    profile = _profile(desk)
    url = reverse("admin:escalations_profile_change", args=[profile.pk])
    assert as_admin.post(url, {"is_away": "on"}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.acknowledgement_due <= timezone.now()
    latest = Profile.objects.get(pk=profile.pk).history.latest()
    assert (latest.is_away, latest.history_user, latest.history_change_reason) == (True, desk.admin, "Set in the admin")


def test_the_admin_offers_no_system_user_for_an_away_flag(as_admin, desk):
    from escalations.services.clock import clock_user

    clock = clock_user()
    response = as_admin.post(reverse("admin:escalations_profile_add"), {"user": clock.pk, "is_away": "on"})
    assert response.status_code == 200
    assert not Profile.objects.filter(user=clock).exists()
