"""Webhooks cannot reach the desk's own network, are signed the Standard Webhooks way, and escape Slack text.

The resolver is faked (no DNS query leaves the machine) and, where a refusal is tested, every socket connect is
recorded and refused: nothing is ever sent anywhere but to the local receiver on 127.0.0.1.
"""

import base64
import importlib
import socket
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from escalations.delivery import new_secret, signature
from escalations.models import Notification, WebhookEndpoint
from escalations.services import notifications, webhooks
from tests import webhook_receiver

pytestmark = pytest.mark.django_db

Status = Notification.Status
PUBLIC = "93.184.216.34"
hook = webhook_receiver.hook  # the local receiver on 127.0.0.1


class FakeResolver:
    """Answers for the names it was given; any other name must be an IP literal (never a real DNS query)."""

    def __init__(self, real):
        self.real = real
        self.answers: dict[str, list[list[str]]] = {}  # name -> successive answers; the last one repeats
        self.asked: list[str] = []

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):
        if host not in self.answers:
            return self.real(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)
        self.asked.append(host)
        queue = self.answers[host]
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        return [
            (socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in answer
        ]

    def answer(self, host: str, *answers: list[str]) -> None:
        self.answers[host] = list(answers)


@pytest.fixture
def dns(monkeypatch):
    resolver = FakeResolver(socket.getaddrinfo)
    resolver.answer("localhost", ["127.0.0.1", "::1"])
    resolver.answer("hooks.example", [PUBLIC])
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    return resolver


@pytest.fixture
def connections(monkeypatch):
    """Every connect attempted; only 127.0.0.1 is really connected to, anything else is refused before a packet."""
    attempted, real_connect = [], socket.socket.connect

    def guarded(sock, address):
        attempted.append(address[0])
        if address[0] != "127.0.0.1":
            raise ConnectionRefusedError(111, "Connection refused (test guard)")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    return attempted


@pytest.fixture
def run_now(monkeypatch):
    """Keep queued deliveries for the test to run."""
    monkeypatch.setattr(notifications, "async_task", lambda *args, **kwargs: None)


def _notify(ticket) -> Notification:
    [row] = notifications.notify(ticket=ticket, subject=f"{ticket.reference} breached", body="x", channels=())
    return row


def _refresh(row: Notification) -> Notification:
    return Notification.objects.get(pk=row.pk)


def _readme_verify():
    """The receiver's check exactly as the README's "Webhooks" section writes it."""
    section = (Path(__file__).resolve().parents[1] / "README.md").read_text().split("## Webhooks", 1)[1]
    snippet = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(snippet, namespace)
    return namespace["verify"]


def _signature(secret: str, request: dict) -> str:
    headers = request["headers"]
    return signature(
        secret, message_id=headers["webhook-id"], timestamp=int(headers["webhook-timestamp"]), body=request["raw"]
    )


# -- where a webhook may go ----------------------------------------------------------------------------------------

NOT_PUBLIC = [
    "http://127.0.0.1:8080/admin",
    "http://localhost/",
    "http://[::1]/",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.1.2.3/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",  # shared address space (carrier NAT)
    "http://0.0.0.0/",
    "http://[::]/",
    "http://224.0.0.1/",
    "http://[ff02::1]/",
    "http://240.0.0.1/",
    "http://[fe80::1]/",
    "http://[fd12:3456::1]/",
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped IPv6
    "http://[::ffff:169.254.169.254]/",
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of 169.254.169.254
    "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    "http://2130706433/",  # 127.0.0.1 written as a number
]


@pytest.mark.parametrize("url", NOT_PUBLIC)
def test_it_refuses_a_webhook_address_that_is_not_public(dns, connections, url):
    with pytest.raises(ValidationError) as refused:
        WebhookEndpoint(name="internal", url=url).full_clean()
    assert "only go to public addresses" in " ".join(refused.value.message_dict["url"])
    assert connections == []


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://hooks.example/", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("gopher://hooks.example:70/", "http:// or https://"),
        ("https://admin:hunter2@hooks.example/", "user name or password"),
        ("https://token@hooks.example/", "user name or password"),
        ("http://[::1/", "invalid host or port"),
        ("http://hooks.example:99999/", "invalid host or port"),
    ],
)
def test_it_refuses_other_schemes_and_credentials_in_the_url(dns, settings, url, reason):
    settings.WEBHOOK_ALLOWED_HOSTS = ["hooks.example"]  # allowing the host does not allow these
    with pytest.raises(ValidationError) as refused:
        WebhookEndpoint(name="odd", url=url).full_clean()
    assert reason in " ".join(refused.value.message_dict["url"])


def test_it_refuses_a_name_that_resolves_to_the_internal_network(dns):
    dns.answer("intranet.example", [PUBLIC, "10.0.0.5"])  # one private answer is enough
    with pytest.raises(ValidationError, match=r"intranet\.example is a loopback, private or reserved address"):
        WebhookEndpoint(name="intranet", url="https://intranet.example/hook").full_clean()


def test_it_accepts_a_public_address(dns):
    dns.answer("hooks.example", [PUBLIC, "2606:2800:220:1:248:1893:25c8:1946"])
    WebhookEndpoint(name="slack", url="https://hooks.example/services/T0/B0/x").full_clean()


def test_a_host_listed_in_webhook_allowed_hosts_may_be_internal(dns, settings):
    dns.answer("hooks.internal", ["10.0.0.7"])
    settings.WEBHOOK_ALLOWED_HOSTS = ["hooks.internal", "[::1]"]
    WebhookEndpoint(name="internal", url="https://hooks.internal/desk").full_clean()
    WebhookEndpoint(name="local v6", url="http://[::1]:8080/desk").full_clean()
    with pytest.raises(ValidationError):
        WebhookEndpoint(name="other", url="http://10.0.0.8/desk").full_clean()


@pytest.mark.parametrize(
    "rebound", [["127.0.0.1"], ["169.254.169.254"], ["::1"], ["::ffff:10.0.0.1"], [PUBLIC, "fd00::1"]]
)
def test_it_refuses_at_send_time_a_name_that_now_resolves_inside_without_connecting(
    desk, dns, connections, run_now, rebound
):
    endpoint = WebhookEndpoint(name="rebinding", url="https://hooks.example/desk")
    endpoint.full_clean()  # public when saved
    endpoint.save()
    dns.answer("hooks.example", rebound)  # and internal when sent
    row = _notify(desk.open_ticket(severity=desk.p0))
    notifications.deliver(row.pk)
    row = _refresh(row)
    assert (row.status, row.attempts) == (Status.FAILED, 1)  # refused for good, not retried
    assert row.last_error.startswith("Refused: hooks.example is a loopback, private or reserved address")
    assert connections == []


def test_it_refuses_at_send_time_an_internal_address_saved_before_the_check(desk, dns, connections, run_now):
    WebhookEndpoint.objects.create(name="metadata", url="http://169.254.169.254/latest/meta-data/")
    row = _notify(desk.open_ticket(severity=desk.p0))
    notifications.deliver(row.pk)
    assert _refresh(row).status == Status.FAILED
    assert connections == []


def test_it_connects_to_the_address_it_checked_not_to_a_second_answer(desk, dns, connections, hook, run_now, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["hooks.test"]
    dns.answer("hooks.test", ["127.0.0.1"], ["192.0.2.1"])  # a second lookup would get another address
    WebhookEndpoint.objects.create(name="pinned", url=f"http://hooks.test:{hook.port}/in")
    row = _notify(desk.open_ticket(severity=desk.p0))
    notifications.deliver(row.pk)
    assert _refresh(row).status == Status.DELIVERED
    assert dns.asked == ["hooks.test"] and connections == ["127.0.0.1"]
    assert hook.received[0]["headers"]["Host"] == f"hooks.test:{hook.port}"  # the name still goes to the receiver


def test_the_failed_deliveries_page_never_shows_what_the_receiver_answered(client, desk, hook, run_now, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.NOTIFICATION_MAX_ATTEMPTS = 1
    hook.statuses, hook.answer = [500], b"root:x:0:0:root:/root:/bin/bash"
    WebhookEndpoint.objects.create(name="leaky", url=hook.url)
    row = _notify(desk.open_ticket(severity=desk.p0))
    notifications.deliver(row.pk)
    assert _refresh(row).last_error == "HTTP 500 Internal Server Error"
    client.force_login(desk.manager)
    page = client.get(reverse("escalations:notifications_failed")).content.decode()
    assert "HTTP 500 Internal Server Error" in page and "root:x" not in page


def test_errors_stored_with_the_answers_body_keep_only_the_status(desk):
    migration = importlib.import_module("escalations.migrations.0016_webhook_signing_and_history")
    ticket = desk.open_ticket()
    values = {"ticket": ticket, "channel": "webhook", "subject": "s", "body": "b", "status": Status.FAILED}
    leaked = Notification.objects.create(last_error="HTTP 502 Bad Gateway: <html>db console: admin/admin", **values)
    unknown = Notification.objects.create(last_error="HTTP 599 Custom: internal stack trace", **values)
    refused = Notification.objects.create(last_error="ConnectionRefusedError: Connection refused", **values)
    migration.drop_response_bodies(apps, None)
    assert [_refresh(row).last_error for row in (leaked, unknown, refused)] == [
        "HTTP 502 Bad Gateway",
        "HTTP 599",
        "ConnectionRefusedError: Connection refused",
    ]


# -- signing -------------------------------------------------------------------------------------------------------


@pytest.fixture
def signed_hook(hook, settings, run_now):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    return hook


def _create(desk, url: str) -> WebhookEndpoint:
    return webhooks.webhook_endpoint_save(endpoint=WebhookEndpoint(name="#incidents", url=url), by=desk.admin)


def test_a_secret_is_whsec_and_32_random_bytes_of_its_own(desk, signed_hook):
    first, second = _create(desk, signed_hook.url), _create(desk, signed_hook.url)
    assert first.secret.startswith("whsec_") and len(base64.b64decode(first.secret.removeprefix("whsec_"))) == 32
    assert first.secret != second.secret


def test_a_receiver_verifies_the_signature_as_the_readme_says(desk, signed_hook):
    verify = _readme_verify()
    endpoint = _create(desk, signed_hook.url)
    signed_hook.check = lambda headers, body: verify(endpoint.secret, headers, body)
    row = _notify(desk.open_ticket(severity=desk.p0))
    notifications.deliver(row.pk)
    assert _refresh(row).status == Status.DELIVERED  # the receiver answered 200: the signature held
    [request] = signed_hook.received
    assert request["headers"]["webhook-id"] == f"msg_{row.pk}"
    assert abs(int(request["headers"]["webhook-timestamp"]) - timezone.now().timestamp()) < 60
    assert request["headers"]["webhook-signature"].startswith("v1,")
    assert not verify(endpoint.secret, request["headers"], request["raw"] + b" ")  # a changed body fails


def test_a_receiver_with_the_wrong_secret_refuses_it(desk, signed_hook):
    verify = _readme_verify()
    _create(desk, signed_hook.url)
    signed_hook.check = lambda headers, body: verify(new_secret(), headers, body)
    row = _notify(desk.open_ticket(severity=desk.p0))
    notifications.deliver(row.pk)
    assert _refresh(row).last_error == "HTTP 401 Unauthorized"


def test_a_retry_carries_the_same_webhook_id(desk, signed_hook):
    signed_hook.statuses = [503]
    _create(desk, signed_hook.url)
    row = _notify(desk.open_ticket(severity=desk.p0))
    with time_machine.travel(timezone.now(), tick=False) as clock:
        notifications.deliver(row.pk)
        clock.shift(timedelta(seconds=31))
        notifications.deliver(row.pk)
    first, second = (request["headers"] for request in signed_hook.received)
    assert first["webhook-id"] == second["webhook-id"] == f"msg_{row.pk}"
    assert int(second["webhook-timestamp"]) - int(first["webhook-timestamp"]) == 31


def test_after_a_rotation_both_secrets_sign_until_the_overlap_ends(desk, signed_hook):
    verify = _readme_verify()
    endpoint = _create(desk, signed_hook.url)
    old = endpoint.secret
    ticket = desk.open_ticket(severity=desk.p0)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        new = webhooks.webhook_endpoint_rotate_secret(endpoint=endpoint, by=desk.admin)
        notifications.deliver(_notify(ticket).pk)
        during = signed_hook.received[-1]
        assert during["headers"]["webhook-signature"] == f"{_signature(new, during)} {_signature(old, during)}"
        assert verify(new, during["headers"], during["raw"]) and verify(old, during["headers"], during["raw"])

        clock.shift(timedelta(hours=24))
        notifications.deliver(_notify(ticket).pk)
        after = signed_hook.received[-1]
        assert after["headers"]["webhook-signature"] == _signature(new, after)
        assert verify(new, after["headers"], after["raw"]) and not verify(old, after["headers"], after["raw"])


def test_a_malformed_overlap_setting_fails_loudly(settings):
    settings.WEBHOOK_SECRET_OVERLAP_HOURS = 0
    with pytest.raises(ImproperlyConfigured, match="WEBHOOK_SECRET_OVERLAP_HOURS"):
        webhooks.secret_overlap()


def test_the_overlap_window_is_configurable(desk, signed_hook, settings):
    settings.WEBHOOK_SECRET_OVERLAP_HOURS = 2
    endpoint = _create(desk, signed_hook.url)
    now = timezone.now()
    webhooks.webhook_endpoint_rotate_secret(endpoint=endpoint, by=desk.admin, now=now)
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).previous_secret_expires_at == now + timedelta(hours=2)


def test_a_second_rotation_during_the_overlap_is_refused_so_receivers_keep_a_valid_secret(desk, signed_hook):
    endpoint = _create(desk, signed_hook.url)
    old = endpoint.secret
    new = webhooks.webhook_endpoint_rotate_secret(endpoint=endpoint, by=desk.admin)
    with pytest.raises(ValidationError, match="rotated already"):
        webhooks.webhook_endpoint_rotate_secret(endpoint=endpoint, by=desk.admin)  # a double click
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).signing_secrets(timezone.now()) == [new, old]
    assert webhooks.webhook_endpoint_end_overlap(endpoint=endpoint, by=desk.admin)
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).signing_secrets(timezone.now()) == [new]
    assert not webhooks.webhook_endpoint_end_overlap(endpoint=endpoint, by=desk.admin)
    webhooks.webhook_endpoint_rotate_secret(endpoint=endpoint, by=desk.admin)  # allowed again


@pytest.mark.parametrize("person", ["manager", "l3_engineer"])
def test_only_admins_configure_endpoints_and_rotate_secrets(desk, signed_hook, person):
    endpoint = _create(desk, signed_hook.url)
    someone = getattr(desk, person)
    with pytest.raises(PermissionDenied):
        webhooks.webhook_endpoint_save(endpoint=WebhookEndpoint(name="x", url=signed_hook.url), by=someone)
    with pytest.raises(PermissionDenied):
        webhooks.webhook_endpoint_rotate_secret(endpoint=endpoint, by=someone)
    with pytest.raises(PermissionDenied):
        webhooks.webhook_endpoint_end_overlap(endpoint=endpoint, by=someone)
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == endpoint.secret


def test_each_existing_endpoint_gets_a_secret_of_its_own(desk):
    migration = importlib.import_module("escalations.migrations.0016_webhook_signing_and_history")
    WebhookEndpoint.objects.bulk_create(
        [WebhookEndpoint(name=name, url="https://hooks.example/", secret="whsec_same") for name in "ab"]
    )
    migration.give_each_endpoint_its_own_secret(apps, None)
    secrets = set(WebhookEndpoint.objects.values_list("secret", flat=True))
    assert len(secrets) == 2 and "whsec_same" not in secrets


# -- the admin -----------------------------------------------------------------------------------------------------


def test_the_admin_shows_a_new_secret_once_and_keeps_history_without_it(client, desk, dns, settings):
    client.force_login(desk.admin)
    form = {"name": "#incidents", "url": "https://hooks.example/T0/B0/x", "is_active": "on"}
    response = client.post(reverse("admin:escalations_webhookendpoint_add"), form, follow=True)
    endpoint = WebhookEndpoint.objects.get()
    assert f"shown this once: {endpoint.secret}" in response.content.decode()
    change = client.get(reverse("admin:escalations_webhookendpoint_change", args=[endpoint.pk])).content.decode()
    assert endpoint.secret not in change
    record = endpoint.history.get()
    assert (record.history_user, record.history_change_reason) == (desk.admin, "Created")
    assert not {"secret", "previous_secret"} & {field.name for field in WebhookEndpoint.history.model._meta.fields}
    history = reverse("admin:escalations_webhookendpoint_simple_history", args=[endpoint.pk, record.history_id])
    assert endpoint.secret not in client.get(history).content.decode()
    assert client.post(history, form | {"url": "https://hooks.example/other"}).status_code == 403


def test_the_admin_refuses_an_internal_address_with_a_message(client, desk, dns):
    client.force_login(desk.admin)
    form = {"name": "metadata", "url": "http://169.254.169.254/latest/meta-data/", "is_active": "on"}
    response = client.post(reverse("admin:escalations_webhookendpoint_add"), form)
    assert response.status_code == 200 and "only go to public addresses" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_the_admin_rotates_a_secret_and_shows_the_new_one_once(client, desk, dns):
    endpoint = webhooks.webhook_endpoint_save(
        endpoint=WebhookEndpoint(name="#incidents", url="https://hooks.example/x"), by=desk.admin
    )
    client.force_login(desk.admin)
    response = client.post(
        reverse("admin:escalations_webhookendpoint_changelist"),
        {"action": "rotate_secret", "_selected_action": [endpoint.pk]},
        follow=True,
    )
    endpoint.refresh_from_db()
    page = response.content.decode()
    assert f"shown this once: {endpoint.secret}" in page and endpoint.previous_secret not in page
    assert "previous secret signs too until" in page
    latest = endpoint.history.latest()
    assert latest.history_user == desk.admin and latest.history_change_reason.startswith("Signing secret rotated")


def test_editing_an_endpoint_never_undoes_a_rotation_made_meanwhile(desk, dns):
    endpoint = webhooks.webhook_endpoint_save(
        endpoint=WebhookEndpoint(name="#incidents", url="https://hooks.example/x"), by=desk.admin
    )
    stale = WebhookEndpoint.objects.get(pk=endpoint.pk)  # an edit form opened before the rotation
    new = webhooks.webhook_endpoint_rotate_secret(endpoint=endpoint, by=desk.admin)
    stale.name = "#incidents-eu"
    webhooks.webhook_endpoint_save(endpoint=stale, by=desk.admin)
    saved = WebhookEndpoint.objects.get(pk=endpoint.pk)
    assert (saved.name, saved.secret) == ("#incidents-eu", new)


# -- Slack ---------------------------------------------------------------------------------------------------------


def test_slack_text_escapes_what_people_typed(desk, settings):
    settings.SITE_URL = "https://desk.example"
    ticket = desk.open_ticket(title="<!channel> pay now & <https://evil.example|your bank>")
    row = Notification(ticket=ticket, subject=f"{ticket.reference} {ticket.title}", body="<@U123> said > 5 & < 9")
    text = notifications.webhook_payload(row, slack=True)["text"]
    assert text == (
        f"*{ticket.reference} &lt;!channel&gt; pay now &amp; &lt;https://evil.example|your bank&gt;* "
        f"<https://desk.example/tickets/{ticket.reference}/|{ticket.reference}>\n&lt;@U123&gt; said &gt; 5 &amp; &lt; 9"
    )
