"""Notifications that prove delivery: written in the acting transaction, sent after commit, retried, failed visibly.

Webhooks are POSTed to a real HTTP server on 127.0.0.1; email goes to Django's locmem outbox.
"""

import socket
import threading
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from escalations.models import Notification, WebhookEndpoint
from escalations.selectors import notifications as selectors
from escalations.services import notifications
from escalations.services.clock import clock_user
from tests import webhook_receiver
from tests.conftest import _person
from tests.webhook_receiver import Hook

pytestmark = pytest.mark.django_db
hook = webhook_receiver.hook  # the local receiver on 127.0.0.1

Status, Channel = Notification.Status, Notification.Channel
SUBJECT = "SUP-1 needs your acknowledgement"


@pytest.fixture
def enqueued(monkeypatch):
    """Record what would be queued for the cluster instead of queueing it."""
    calls = []
    monkeypatch.setattr(notifications, "async_task", lambda func, *args, **kwargs: calls.append((func, *args)))
    return calls


@pytest.fixture
def run_tasks_now(monkeypatch):
    """Run queued tasks at once, as a worker would: through escalations.tasks."""
    monkeypatch.setattr(notifications, "async_task", lambda func, *args, **kwargs: import_string(func)(*args))


@pytest.fixture(autouse=True)
def local_receivers_allowed(settings):
    """The receivers here run on 127.0.0.1, which a webhook may reach only when allowed."""
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]


@pytest.fixture
def notification_settings(settings):
    settings.SITE_URL = "https://desk.example"
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    settings.NOTIFICATION_WEBHOOK_TIMEOUT = 2
    return settings


@pytest.fixture
def p0(desk):
    ticket = desk.open_ticket(severity=desk.p0)
    assert ticket.tier == desk.l3
    return ticket


def _endpoint(hook_or_url, **fields) -> WebhookEndpoint:
    url = hook_or_url.url if isinstance(hook_or_url, Hook) else hook_or_url
    return WebhookEndpoint.objects.create(name=fields.pop("name", "#l3-oncall"), url=url, **fields)


def _webhook_row(ticket, endpoint, enqueued) -> Notification:
    with transaction.atomic():
        rows = notifications.notify(ticket=ticket, subject=SUBJECT, body="Carol did not acknowledge", channels=())
    [row] = [row for row in rows if row.webhook_id == endpoint.pk]
    return row


def _refresh(row: Notification) -> Notification:
    return Notification.objects.get(pk=row.pk)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- writing the rows ----------------------------------------------------------------------------------------------


def test_it_writes_a_row_per_recipient_and_channel_and_queues_them_after_commit(
    desk, p0, hook, enqueued, django_capture_on_commit_callbacks
):
    endpoint = _endpoint(hook, team=desk.l3.team)
    desk.manager.email = ""
    desk.manager.save()
    with django_capture_on_commit_callbacks() as callbacks:
        rows = notifications.notify(
            ticket=p0,
            subject=SUBJECT,
            body="Failover",
            recipients=[desk.l3_engineer, desk.manager, None, desk.l3_engineer],
        )
        written = Notification.objects.filter(subject=SUBJECT)
        assert {(row.recipient_id, row.webhook_id, row.channel) for row in written} == {
            (desk.l3_engineer.pk, None, "in_app"),
            (desk.l3_engineer.pk, None, "email"),
            (desk.manager.pk, None, "in_app"),  # no email address: no email row
            (None, endpoint.pk, "webhook"),
        }
        assert enqueued == []  # nothing leaves before the action commits
    for callback in callbacks:
        callback()
    in_app = written.filter(channel=Channel.IN_APP)
    assert all(row.status == Status.DELIVERED and row.delivered_at for row in in_app)
    email = next(row.pk for row in rows if row.channel == Channel.EMAIL)
    webhook = next(row.pk for row in rows if row.channel == Channel.WEBHOOK)
    task = "escalations.tasks.deliver_notifications"
    assert sorted(enqueued) == sorted([(task, [email]), (task, [webhook])])  # each webhook in a task of its own


def test_the_emails_of_one_action_go_out_in_one_task(desk, p0, enqueued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        rows = notifications.notify(
            ticket=p0, subject=SUBJECT, body="x", recipients=[desk.l3_engineer, desk.manager], webhooks=False
        )
    emails = sorted(row.pk for row in rows if row.channel == Channel.EMAIL)
    assert len(emails) == 2
    assert [(func, sorted(pks)) for func, pks in enqueued] == [("escalations.tasks.deliver_notifications", emails)]


def test_nothing_is_written_or_queued_when_the_action_rolls_back(
    desk, p0, hook, enqueued, django_capture_on_commit_callbacks
):
    _endpoint(hook)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notifications.notify(ticket=p0, subject=SUBJECT, body="x", recipients=[desk.l3_engineer])
        raise RuntimeError("the action failed")
    assert callbacks == [] and enqueued == []
    assert not Notification.objects.filter(subject=SUBJECT).exists()


def test_a_broker_down_at_commit_does_not_break_the_action_and_the_sweep_sends_later(
    desk, p0, monkeypatch, django_capture_on_commit_callbacks, mailoutbox
):
    def broker_down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(notifications, "async_task", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify(ticket=p0, subject=SUBJECT, body="x", recipients=[desk.l3_engineer], webhooks=False)
    row = Notification.objects.get(subject=SUBJECT, channel=Channel.EMAIL)
    assert row.status == Status.PENDING and mailoutbox == []
    assert notifications.retry_due_notifications() == 1
    assert _refresh(row).status == Status.DELIVERED and len(mailoutbox) == 1


def test_it_posts_to_the_webhooks_of_the_tickets_team_and_severity_only(desk, p0, hook, enqueued):
    matching = [
        _endpoint(hook, name="l3 team", team=desk.l3.team),
        _endpoint(hook, name="every P0", severity=desk.p0),
        _endpoint(hook, name="l3 P0s", team=desk.l3.team, severity=desk.p0),
        _endpoint(hook, name="everything"),
    ]
    _endpoint(hook, name="l1 team", team=desk.l1.team)
    _endpoint(hook, name="l3 P3s", team=desk.l3.team, severity=desk.p3)
    _endpoint(hook, name="switched off", team=desk.l3.team, is_active=False)
    rows = notifications.notify(ticket=p0, subject=SUBJECT, body="x", channels=())
    assert [row.webhook for row in rows] == matching


def test_an_unknown_channel_is_refused(desk, p0):
    with pytest.raises(ValueError, match="sms"):
        notifications.notify(ticket=p0, subject=SUBJECT, body="x", recipients=[desk.manager], channels=("sms",))


def test_managers_of_are_the_active_people_with_manage_tickets_in_one_query(desk, p0, django_assert_num_queries):
    clock_user()  # a manager so that it can act; it reads nothing
    _person("retired.manager", Group.objects.get(name="Managers"), is_active=False)
    direct = _person("direct.grant")
    direct.user_permissions.add(Permission.objects.get(codename="manage_tickets"))
    _person("root", is_superuser=True)
    with django_assert_num_queries(1):
        managers = list(notifications.managers_of(p0))
    assert managers == [direct, desk.manager, desk.manager2]


# -- delivering ----------------------------------------------------------------------------------------------------


def test_email_is_sent_after_commit_with_a_link_to_the_ticket(
    desk, p0, notification_settings, run_tasks_now, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify(
            ticket=p0, subject=SUBJECT, body="Carol did not acknowledge", recipients=[desk.l3_engineer]
        )
    [message] = mailoutbox
    assert message.to == ["carol.l3@desk.example"] and message.subject == SUBJECT
    assert message.from_email == notification_settings.DEFAULT_FROM_EMAIL
    assert f"https://desk.example/tickets/{p0.reference}/" in message.body
    row = Notification.objects.get(subject=SUBJECT, channel=Channel.EMAIL)
    assert (row.status, row.attempts, row.last_error) == (Status.DELIVERED, 1, "")
    assert row.delivered_at >= row.created_at


def test_a_failing_mail_server_is_recorded_and_retried(desk, p0, notification_settings, enqueued, monkeypatch):
    def smtp_down(*args, **kwargs):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(notifications, "send_mail", smtp_down)
    notifications.notify(ticket=p0, subject=SUBJECT, body="x", recipients=[desk.l3_engineer], webhooks=False)
    row = Notification.objects.get(subject=SUBJECT, channel=Channel.EMAIL)
    notifications.deliver(row.pk)
    row = _refresh(row)
    assert (row.status, row.attempts) == (Status.PENDING, 1)
    assert "Connection refused" in row.last_error


def test_it_posts_the_notification_as_json_to_a_real_webhook(desk, p0, hook, notification_settings, enqueued):
    row = _webhook_row(p0, _endpoint(hook), enqueued)
    notifications.deliver(row.pk)
    [request] = hook.received
    assert request["path"] == "/hooks/desk?token=s3cret" and request["content_type"] == "application/json"
    assert request["json"] == {
        "ticket": p0.reference,
        "subject": SUBJECT,
        "body": "Carol did not acknowledge",
        "url": f"https://desk.example/tickets/{p0.reference}/",
    }
    row = _refresh(row)
    assert (row.status, row.attempts, row.last_error) == (Status.DELIVERED, 1, "")


def test_it_posts_a_slack_compatible_payload_when_asked(desk, p0, hook, notification_settings, enqueued):
    row = _webhook_row(p0, _endpoint(hook, slack_format=True), enqueued)
    notifications.deliver(row.pk)
    assert hook.received[0]["json"] == {
        "text": f"*{SUBJECT}* <https://desk.example/tickets/{p0.reference}/|{p0.reference}>\nCarol did not acknowledge"
    }


def test_a_500_is_retried_with_backoff_then_failed_with_the_error(desk, p0, hook, notification_settings, enqueued):
    hook.statuses = [500, 500, 500]
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        row = _webhook_row(p0, _endpoint(hook), enqueued)
        notifications.deliver(row.pk)
        row = _refresh(row)
        assert (row.status, row.attempts) == (Status.PENDING, 1)
        assert row.last_error == "HTTP 500 Internal Server Error"  # the status, never what the receiver said
        assert row.next_attempt_at == start + timedelta(seconds=30)

        notifications.deliver(row.pk)  # not due yet: nothing is sent
        assert len(hook.received) == 1

        clock.shift(timedelta(seconds=30))
        assert notifications.retry_due_notifications() == 1
        row = _refresh(row)
        assert (row.status, row.attempts) == (Status.PENDING, 2)
        assert row.next_attempt_at == start + timedelta(seconds=30 + 60)

        clock.shift(timedelta(seconds=60))
        assert notifications.retry_due_notifications() == 1
        row = _refresh(row)
        assert (row.status, row.attempts, row.delivered_at) == (Status.FAILED, 3, None)
        assert row.last_error.startswith("HTTP 500")

        clock.shift(timedelta(hours=1))
        assert notifications.retry_due_notifications() == 0  # failed is final until a manager retries
    assert len(hook.received) == 3


def test_the_backoff_doubles_and_is_capped():
    assert [notifications.backoff(n).total_seconds() for n in (1, 2, 3, 4, 8, 20)] == [30, 60, 120, 240, 3600, 3600]


@pytest.mark.parametrize("status", [302, 404, 503])
def test_any_answer_other_than_2xx_is_a_failure(desk, p0, hook, notification_settings, enqueued, status):
    hook.statuses = [status]
    row = _webhook_row(p0, _endpoint(hook), enqueued)
    notifications.deliver(row.pk)
    row = _refresh(row)
    assert (row.status, row.attempts) == (Status.PENDING, 1)
    assert row.last_error.startswith(f"HTTP {status}")
    assert len(hook.received) == 1  # a redirect is not followed


def test_a_refused_connection_is_retried_then_failed(desk, p0, notification_settings, enqueued):
    notification_settings.NOTIFICATION_MAX_ATTEMPTS = 2
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        row = _webhook_row(p0, _endpoint(f"http://127.0.0.1:{_free_port()}/hook"), enqueued)
        notifications.deliver(row.pk)
        row = _refresh(row)
        assert (row.status, row.next_attempt_at) == (Status.PENDING, start + timedelta(seconds=30))
        assert row.last_error == "ConnectionRefusedError: Connection refused"
        clock.shift(timedelta(seconds=30))
        notifications.deliver(row.pk)
    row = _refresh(row)
    assert (row.status, row.attempts, row.last_error) == (
        Status.FAILED,
        2,
        "ConnectionRefusedError: Connection refused",
    )


def test_a_webhook_slower_than_the_timeout_is_a_failure(desk, p0, hook, notification_settings, enqueued):
    notification_settings.NOTIFICATION_WEBHOOK_TIMEOUT = 0.2
    hook.hold_for = 10
    row = _webhook_row(p0, _endpoint(hook), enqueued)
    notifications.deliver(row.pk)
    hook.release.set()
    row = _refresh(row)
    assert (row.status, row.attempts, row.last_error) == (Status.PENDING, 1, "Timed out after 0.2 s")


def test_a_removed_endpoint_fails_at_once(desk, p0, hook, notification_settings, enqueued):
    endpoint = _endpoint(hook)
    row = _webhook_row(p0, endpoint, enqueued)
    endpoint.delete()
    notifications.deliver(row.pk)
    row = _refresh(row)
    assert (row.status, row.attempts, row.last_error) == (Status.FAILED, 1, "The webhook endpoint was deleted.")


def test_delivering_twice_sends_once(desk, p0, hook, notification_settings, enqueued):
    row = _webhook_row(p0, _endpoint(hook), enqueued)
    notifications.deliver(row.pk)
    notifications.deliver(row.pk)  # the task retried by the cluster, or the sweep racing it
    assert notifications.retry_due_notifications() == 0
    assert len(hook.received) == 1
    assert _refresh(row).attempts == 1


@pytest.mark.django_db(transaction=True)
def test_a_second_worker_does_not_send_while_the_first_is_sending(desk, hook, notification_settings, enqueued):
    row = _webhook_row(desk.open_ticket(severity=desk.p0), _endpoint(hook), enqueued)
    hook.hold_for = 10

    def first_worker():
        try:
            notifications.deliver(row.pk)
        finally:
            connection.close()

    worker = threading.Thread(target=first_worker)
    worker.start()
    assert hook.entered.wait(5)  # the first worker claimed the row and is waiting for the answer
    notifications.deliver(row.pk)  # the second worker finds the row claimed and sends nothing
    assert notifications.retry_due_notifications() == 0
    hook.release.set()
    worker.join(10)
    assert len(hook.received) == 1
    row = _refresh(row)
    assert (row.status, row.attempts) == (Status.DELIVERED, 1)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="simultaneous writers need a server database")
def test_two_workers_delivering_at_the_same_instant_send_once(desk, hook, notification_settings, enqueued):
    row = _webhook_row(desk.open_ticket(severity=desk.p0), _endpoint(hook), enqueued)
    start = threading.Barrier(4)

    def worker():
        try:
            start.wait(5)
            notifications.deliver(row.pk)
        finally:
            connection.close()

    workers = [threading.Thread(target=worker) for _ in range(4)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(10)
    assert len(hook.received) == 1
    assert _refresh(row).attempts == 1


def test_the_sweep_rescues_lost_tasks_and_goes_on_past_a_failure(
    desk, p0, hook, notification_settings, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        good = _webhook_row(p0, _endpoint(hook), enqueued)
        bad = _webhook_row(p0, _endpoint(f"http://127.0.0.1:{_free_port()}/", name="broken"), enqueued)
    assert len(enqueued) == 3  # queued, but the broker lost them: they are still pending
    assert notifications.retry_due_notifications() == 3  # the good endpoint's row twice (two notify calls) + bad
    assert _refresh(good).status == Status.DELIVERED
    assert _refresh(bad).status == Status.PENDING and _refresh(bad).last_error
    assert len(hook.received) == 2


def test_malformed_settings_fail_loudly(settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = "five"
    with pytest.raises(ImproperlyConfigured, match="NOTIFICATION_MAX_ATTEMPTS"):
        notifications.max_attempts()
    settings.NOTIFICATION_WEBHOOK_TIMEOUT = 0
    with pytest.raises(ImproperlyConfigured, match="NOTIFICATION_WEBHOOK_TIMEOUT"):
        notifications.webhook_timeout()


# -- the failed deliveries page ------------------------------------------------------------------------------------


def _failed(ticket, endpoint, **fields) -> Notification:
    values = {
        "subject": SUBJECT,
        "body": "x",
        "status": Status.FAILED,
        "attempts": 5,
        "channel": Channel.WEBHOOK,
        "last_error": "HTTP 500 Internal Server Error",
    } | fields
    return Notification.objects.create(ticket=ticket, webhook=endpoint, **values)


@pytest.mark.parametrize("person", ["l1_agent", "l3_engineer", "outsider"])
def test_only_managers_see_failed_deliveries(client, desk, p0, hook, person):
    row = _failed(p0, _endpoint(hook))
    client.force_login(getattr(desk, person))
    assert client.get(reverse("escalations:notifications_failed")).status_code == 403
    assert client.post(reverse("escalations:notification_retry", args=[row.pk])).status_code == 403
    assert _refresh(row).status == Status.FAILED


def test_managers_see_failed_and_retrying_deliveries(client, desk, p0, hook, django_assert_num_queries):
    endpoint = _endpoint(hook)
    for _ in range(3):
        _failed(p0, endpoint)
    _failed(p0, None, channel=Channel.EMAIL, recipient=desk.l3_engineer, last_error="SMTPServerDisconnected")
    _failed(p0, endpoint, status=Status.PENDING, attempts=2, last_error="Timed out after 5 s")
    client.force_login(desk.manager)
    with django_assert_num_queries(7):
        response = client.get(reverse("escalations:notifications_failed"))
    page = response.content.decode()
    assert len(response.context["failed"]) == 4 and len(response.context["retrying"]) == 1
    assert f'href="/tickets/{p0.reference}/"' in page
    assert "#l3-oncall (127.0.0.1:" in page and "s3cret" not in page  # a webhook URL is a secret
    assert "carol.l3 &lt;carol.l3@desk.example&gt;" in page
    assert "SMTPServerDisconnected" in page and "Timed out after 5 s" in page


def test_retry_now_queues_one_more_attempt(
    client, desk, p0, hook, notification_settings, enqueued, django_capture_on_commit_callbacks
):
    row = _failed(p0, _endpoint(hook), attempts=3)
    client.force_login(desk.manager)
    url = reverse("escalations:notification_retry", args=[row.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302
    queued = [("escalations.tasks.deliver_notifications", [row.pk])]
    assert (_refresh(row).status, enqueued) == (Status.PENDING, queued)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)  # a double click
    assert "no longer failed" in response.content.decode() and len(enqueued) == 1

    notifications.deliver(row.pk)  # what the queued task does
    row = _refresh(row)
    assert (row.status, row.attempts, row.last_error) == (Status.DELIVERED, 4, "")
    assert len(hook.received) == 1


def test_a_retry_that_fails_again_goes_straight_back_to_failed(client, desk, p0, notification_settings, enqueued):
    row = _failed(p0, _endpoint(f"http://127.0.0.1:{_free_port()}/"), attempts=3)
    client.force_login(desk.manager)
    client.post(reverse("escalations:notification_retry", args=[row.pk]))
    notifications.deliver(row.pk)
    row = _refresh(row)
    assert (row.status, row.attempts, row.last_error) == (
        Status.FAILED,
        4,
        "ConnectionRefusedError: Connection refused",
    )


# -- the bell and the inbox ----------------------------------------------------------------------------------------


def test_the_bell_counts_unread_in_app_notifications_in_one_query(desk, p0, django_assert_num_queries):
    for n in range(3):
        notifications.notify(
            ticket=p0, subject=f"{SUBJECT} {n}", body="x", recipients=[desk.l3_engineer], webhooks=False
        )
    notifications.mark_read(
        user=desk.l3_engineer,
        notification_ids=[
            Notification.objects.filter(recipient=desk.l3_engineer, channel=Channel.IN_APP).earliest("pk").pk
        ],
    )
    with django_assert_num_queries(1):
        assert selectors.unread_count(desk.l3_engineer) == 2
    assert selectors.unread_count(desk.manager) == 0


def test_the_inbox_lists_in_app_notifications_and_marks_them_read(
    client, desk, p0, django_assert_num_queries, enqueued
):
    for n in range(5):
        notifications.notify(ticket=p0, subject=f"Ping {n}", body="x", recipients=[desk.l3_engineer])
    notifications.notify(ticket=None, subject="Desk news", body="y", recipients=[desk.l3_engineer])
    notifications.notify(ticket=p0, subject="For Maria", body="z", recipients=[desk.manager])
    client.force_login(desk.l3_engineer)
    with django_assert_num_queries(6):
        response = client.get(reverse("escalations:notifications"))
    page = response.content.decode()
    assert [item.subject for item in response.context["notifications"]] == [
        "Desk news",
        "Ping 4",
        "Ping 3",
        "Ping 2",
        "Ping 1",
        "Ping 0",
    ]
    assert "6 unread" in page and "For Maria" not in page
    assert f'href="/tickets/{p0.reference}/"' in page
    up_to = response.context["up_to"]

    notifications.notify(ticket=p0, subject="Arrived after the page was drawn", body="x", recipients=[desk.l3_engineer])
    response = client.post(reverse("escalations:notifications"), {"up_to": up_to}, follow=True)
    assert "6 notifications marked read." in response.content.decode()
    assert selectors.unread_count(desk.l3_engineer) == 1
    assert selectors.unread_count(desk.manager) == 1


def test_someone_else_cannot_mark_my_notifications_read(client, desk, p0):
    [mine] = notifications.notify(
        ticket=p0, subject=SUBJECT, body="x", recipients=[desk.l3_engineer], channels=("in_app",), webhooks=False
    )
    client.force_login(desk.manager)
    client.post(reverse("escalations:notifications"), {"up_to": mine.pk})
    assert _refresh(mine).read_at is None


def test_the_inbox_is_for_signed_in_people(client):
    response = client.get(reverse("escalations:notifications"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# -- the ticket timeline -------------------------------------------------------------------------------------------


def test_the_timeline_shows_failed_and_late_notifications_and_folds_the_rest(
    desk, p0, hook, enqueued, django_assert_num_queries
):
    start = timezone.now()
    endpoint = _endpoint(hook)
    target = f"#l3-oncall (127.0.0.1:{urlsplit(hook.url).port})"
    with time_machine.travel(start, tick=False) as clock:
        on_time = notifications.notify(ticket=p0, subject="On time", body="x", recipients=[desk.l3_engineer])
        Notification.objects.filter(pk__in=[row.pk for row in on_time], status=Status.PENDING).update(
            status=Status.DELIVERED, delivered_at=start + timedelta(seconds=2), attempts=1
        )
        failed = _failed(p0, endpoint, subject="Gave up")
        _failed(
            p0, endpoint, subject="Slow", status=Status.DELIVERED, attempts=2, delivered_at=start + timedelta(minutes=3)
        )
        _failed(p0, endpoint, subject="Stuck", status=Status.PENDING, attempts=1, last_error="HTTP 502 Bad Gateway")
        clock.shift(timedelta(seconds=30))
        with django_assert_num_queries(1):
            entries = selectors.notification_entries(p0)
        clock.shift(timedelta(seconds=60))
        later = selectors.notification_entries(p0)

    assert all(entry.actor == "notifications" and entry.at == start for entry in entries)
    assert sorted((entry.kind, entry.title) for entry in entries) == [
        ("notification", "Notified: On time"),
        ("notification", "Notified: Stuck"),
        ("notification-failed", f"Notification failed: webhook {target} (5 attempts)"),
        ("notification-late", f"Notification delivered 3 min late: webhook {target} (2 attempts)"),
    ]
    by_title = {entry.title: entry for entry in entries}
    assert by_title["Notified: On time"].body == (
        f"in-app to carol.l3; email to carol.l3 <carol.l3@desk.example>; webhook {target}"
    )
    assert by_title["Notified: Stuck"].body == f"webhook {target} (sending)"
    gave_up = by_title[f"Notification failed: webhook {target} (5 attempts)"]
    assert gave_up.body == "Gave up\nHTTP 500 Internal Server Error"
    assert gave_up.link == f"/notifications/failed/#notification-{failed.pk}"

    # A minute and a half after it was written, the notification still undelivered is late too, with its error.
    [stuck] = [entry for entry in later if entry.body.startswith("Stuck")]
    assert stuck.kind == "notification-late"
    assert stuck.title.startswith(f"Notification not delivered yet after 90 s: webhook {target} (1 attempt, next ")
    assert stuck.body == "Stuck\nLast error: HTTP 502 Bad Gateway"
