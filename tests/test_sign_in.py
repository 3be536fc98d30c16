"""Sign-in lockout (django-axes): 10 failures lock a username from one address for 15 minutes."""

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.7"


@pytest.fixture
def agent(django_user_model):
    return django_user_model.objects.create_user("alice.l1", "alice@desk.example", PASSWORD)


def _sign_in(client, username: str, password: str, address: str = ATTACKER, **headers):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address, **headers)


def _fail(client, times: int, username: str = "alice.l1", **extra):
    return [_sign_in(client, username, "wrong-password", **extra) for _ in range(times)][-1]


def _signed_in(response) -> bool:
    return response.status_code == 302 and response.url == reverse("escalations:queue")


def test_nine_failures_still_let_the_right_password_in(client, agent):
    assert _fail(client, 9).status_code == 200
    assert _signed_in(_sign_in(client, "alice.l1", PASSWORD))


def test_the_tenth_failure_locks_the_username_with_a_message_on_the_sign_in_page(client, agent):
    response = _fail(client, 10)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Sign in to the desk" in page
    assert "Sign-in is locked for 15 minutes" in page
    assert 'value="alice.l1"' in page


def test_a_locked_username_is_refused_even_with_the_right_password(client, agent):
    _fail(client, 10)
    response = _sign_in(client, "alice.l1", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_lockout_leaves_other_usernames_and_addresses_alone(client, agent, django_user_model):
    django_user_model.objects.create_user("bob.l2", "bob@desk.example", PASSWORD)
    _fail(client, 10)
    assert _signed_in(_sign_in(client, "bob.l2", PASSWORD))
    client.logout()
    assert _signed_in(_sign_in(client, "alice.l1", PASSWORD, address="198.51.100.20"))


def test_the_lockout_ends_after_the_cool_off_counted_from_the_last_refused_try(client, agent):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _fail(client, 10)
    for minute, status in [(14, 429), (20, 429)]:  # at minute 20 the lockout of minute 0 alone would have ended
        with time_machine.travel(start + timedelta(minutes=minute), tick=False):
            assert _sign_in(client, "alice.l1", PASSWORD).status_code == status
    with time_machine.travel(start + timedelta(minutes=20 + 16), tick=False):
        assert _signed_in(_sign_in(client, "alice.l1", PASSWORD))


def test_a_client_cannot_dodge_the_lockout_by_sending_a_forwarded_address_of_its_own(client, agent):
    for number in range(10):
        _sign_in(client, "alice.l1", "wrong-password", HTTP_X_FORWARDED_FOR=f"198.51.100.{number}")
    assert _sign_in(client, "alice.l1", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.99").status_code == 429


@override_settings(AXES_IPWARE_META_PRECEDENCE_ORDER=["HTTP_X_REAL_IP"])
def test_behind_a_proxy_the_address_it_forwards_is_the_one_locked(client, agent):
    proxy = {"address": "10.0.0.2"}
    _fail(client, 10, HTTP_X_REAL_IP=ATTACKER, **proxy)
    assert _sign_in(client, "alice.l1", PASSWORD, HTTP_X_REAL_IP=ATTACKER, **proxy).status_code == 429
    assert _signed_in(_sign_in(client, "alice.l1", PASSWORD, HTTP_X_REAL_IP="198.51.100.20", **proxy))


def test_admins_see_a_lockout_in_the_admin_and_clear_it(client, desk):
    _fail(client, 10)
    attempt = AccessAttempt.objects.get(username="alice.l1")
    client.force_login(desk.admin)
    changelist = client.get(reverse("admin:axes_accessattempt_changelist"))
    assert changelist.status_code == 200 and ATTACKER in changelist.content.decode()
    cleared = client.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})
    assert cleared.status_code == 302
    client.logout()
    assert _signed_in(_sign_in(client, "alice.l1", PASSWORD))


def test_managers_do_not_reach_the_lockouts(client, desk):
    client.force_login(desk.manager)
    assert client.get(reverse("admin:axes_accessattempt_changelist"), follow=True).status_code == 403
