"""Guided templates made the way managers make them: drafted by one manager, approved by the other."""

import pytest

from templates_app import services

CRITICAL_ENTERPRISE = {
    "match": "all",
    "groups": [
        {
            "match": "all",
            "rules": [
                {"field": "critical", "op": "eq", "value": "yes"},
                {"field": "account_tier", "op": "eq", "value": "enterprise"},
            ],
        }
    ],
}
NOTE_STEP = {"kind": "notify", "audience": "managers", "message": "Enterprise customer in trouble"}


def draft(desk, *, name: str = "High-value customer incident", by=None, **content):
    version = services.template_create(by=by or desk.manager, name=name)
    values = {"event": "created", "conditions": CRITICAL_ENTERPRISE, "steps": [NOTE_STEP]} | content
    return services.version_update(version=version, by=by or desk.manager, content=values)


def submitted(desk, **content):
    return services.version_submit(version=draft(desk, **content), by=desk.manager)


def live(desk, **content):
    version = submitted(desk, **content)
    return services.version_approve(
        version=version, by=desk.manager2, comment="Checked the simulation", seen_hash=version.content_hash()
    )


@pytest.fixture
def make_live(desk):
    return lambda **content: live(desk, **content)
