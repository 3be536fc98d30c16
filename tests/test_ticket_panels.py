"""Other apps add panels to the ticket page through escalations' registry; the desk needs none of them."""

from copy import deepcopy

import pytest
from django.urls import reverse

from escalations.selectors import panels, timeline

pytestmark = pytest.mark.django_db


@pytest.fixture
def without_guided_templates(settings, monkeypatch):
    """The desk as installed without templates_app: its AppConfig.ready never registered anything."""
    settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS if app != "templates_app"]
    settings.TEMPLATES = deepcopy(settings.TEMPLATES)  # template engines rebuilt: no `guided` tag library
    monkeypatch.setattr(panels, "TICKET_PANELS", [])
    monkeypatch.setattr(timeline, "EXTRA_SOURCES", [])


def test_the_ticket_page_renders_without_guided_templates_installed(client, desk, without_guided_templates):
    ticket = desk.working_at_l1()
    client.force_login(desk.l1_agent)
    response = client.get(reverse("escalations:ticket", args=[ticket.number]))
    assert response.status_code == 200
    page = response.content.decode()
    assert ticket.title in page and "Record an inbound event" not in page


def test_a_registered_panel_is_drawn_once_in_the_page_context(client, desk, monkeypatch, tmp_path, settings):
    panel = '<p data-testid="extra">{{ ticket.reference }} for {{ reader }}</p>{% csrf_token %}'
    (tmp_path / "panel.html").write_text(panel)
    settings.TEMPLATES = deepcopy(settings.TEMPLATES)
    settings.TEMPLATES[0]["DIRS"] = [*settings.TEMPLATES[0]["DIRS"], tmp_path]
    monkeypatch.setattr(panels, "TICKET_PANELS", [])

    def reader(ticket, user) -> dict:
        return {"reader": f"<{user.username}>"}

    panels.register_ticket_panel("panel.html", reader)
    panels.register_ticket_panel("panel.html", reader)  # an app made ready twice adds its panel once
    ticket = desk.working_at_l1()
    client.force_login(desk.l1_agent)
    page = client.get(reverse("escalations:ticket", args=[ticket.number])).content.decode()
    assert f'<p data-testid="extra">{ticket.reference} for &lt;alice.l1&gt;</p>' in page
    assert page.count('data-testid="extra"') == 1 and 'name="csrfmiddlewaretoken"' in page
