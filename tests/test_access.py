"""Who reaches what: sign-in everywhere, the admin for Admins only, an audit trail nobody can rewrite."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from escalations import services
from escalations.models import Tier

pytestmark = pytest.mark.django_db

# Outside systems post inbound events with their source's token, not a sign-in (tests/templates/test_inbound.py).
PUBLIC = {"login", "healthz", "templates_app:inbound_receive"}


def _named_routes(resolver=None, prefix=""):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            yield from _named_routes(pattern, f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{prefix}{pattern.name}", list(pattern.pattern.regex.groupindex)


def _url(name: str, params: list[str]) -> str:
    values = {
        "number": 10001,
        "transition": "acknowledge",
        "pk": 1,
        "document": "handoff-brief",
        "attachment_id": 1,
        "other": 2,
        "action": "submit",
    }
    return reverse(name, kwargs={param: values[param] for param in params})


def test_the_route_list_covers_the_desk():
    names = {name for name, _ in _named_routes()}
    assert {"escalations:queue", "escalations:ticket", "escalations:ticket_transition", "reporting:overview"} <= names


@pytest.mark.parametrize("name, params", [route for route in _named_routes() if route[0] not in PUBLIC])
def test_every_page_requires_sign_in(client, desk, name, params):
    desk.open_ticket()
    url = _url(name, params)
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login"))


def test_the_admin_sends_anonymous_people_to_the_desk_login(client):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))


@pytest.mark.parametrize("person, status", [("l1_agent", 403), ("manager", 403), ("admin", 200)])
def test_only_admins_reach_the_admin(client, desk, person, status):
    client.force_login(getattr(desk, person))
    assert client.get("/admin/", follow=True).status_code == status
    assert client.get(reverse("admin:escalations_tier_changelist"), follow=True).status_code == status


def test_admins_see_tiers_and_severity_overrides_in_the_admin(client, desk):
    client.force_login(desk.admin)
    tiers = client.get(reverse("admin:escalations_tier_changelist")).content.decode()
    severities = client.get(reverse("admin:escalations_severity_changelist")).content.decode()
    assert "Front-Line Support" in tiers and "Engineering / Executive" in tiers
    assert "P0" in severities and "L3" in severities


def test_the_admin_never_writes_an_old_version_back(client, desk):
    tier = desk.l1
    old_version = tier.history.earliest()
    tier.name = "Renamed"
    tier._change_reason = "Renamed for the test"
    tier.save()
    client.force_login(desk.admin)
    url = reverse("admin:escalations_tier_simple_history", args=[tier.pk, old_version.history_id])
    assert client.get(url).status_code == 200
    response = client.post(url, {"level": 1, "name": "Front-Line Support"})
    assert response.status_code == 403
    assert Tier.objects.get(pk=tier.pk).name == "Renamed"


def test_admin_transition_buttons_go_through_the_permission_check(client, desk):
    ticket = services.ticket_assign(ticket=desk.open_ticket(), by=desk.manager, owner=desk.l1_agent)
    client.force_login(desk.admin)
    url = reverse("admin:escalations_ticket_transition", args=[ticket.pk, "acknowledge"])
    client.post(url, {"reason": "forcing it"})
    ticket.refresh_from_db()
    assert ticket.status == "assigned"
    desk.admin.groups.add(*desk.manager.groups.all())
    client.post(url, {"reason": "forcing it"})
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"
    assert ticket.history.latest().history_user == desk.admin


def test_the_ticket_admin_offers_no_free_status_field(client, desk):
    ticket = desk.open_ticket()
    client.force_login(desk.admin)
    page = client.get(reverse("admin:escalations_ticket_change", args=[ticket.pk])).content.decode()
    assert 'name="status"' not in page
