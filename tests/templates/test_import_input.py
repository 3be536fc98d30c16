"""Templates imported as YAML (the upload page and `import_templates`): a bad file is a message, never a 500."""

from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from templates_app.models import Template

pytestmark = pytest.mark.django_db
ALIAS_BOMB = (Path(__file__).parent.parent / "fixtures" / "yaml_alias_bomb.yaml").read_text(encoding="utf-8")
NOTIFY = {"kind": "notify", "audience": "managers", "message": "Enterprise customer in trouble"}


def document(name="Lead routing failure", version: object = None, **entry) -> str:
    """One template entry as YAML, with a version that imports cleanly unless the test says otherwise."""
    version = {"event": "created", "steps": [NOTIFY]} if version is None else version
    return yaml.safe_dump({"templates": [{"name": name, "version": version, **entry}]}, allow_unicode=True)


def with_content(**content) -> str:
    return document(version={"event": "created", "steps": [NOTIFY]} | content)


BAD_DOCUMENTS = {
    "a name that is a list": (document(name=[1, 2]), "each with a name (text of at most 120 characters)"),
    "a name that is a number": (document(name=42), "each with a name (text of at most 120 characters)"),
    "a name over 120 characters": (document(name="x" * 121), "each with a name (text of at most 120 characters)"),
    "a description that is a mapping": (document(description={"a": "b"}), "description is text"),
    "a version given as a list": (document(version=[NOTIFY]), "version is a mapping"),
    "NUL in a step's text": (
        document(version={"event": "created", "steps": [{"kind": "human", "text": "Check\x00it"}]}),
        "contains a NUL character",
    ),
    "deeply nested YAML": ("templates: " + "[" * 5000 + "]" * 5000, "nested deeper than 50 levels"),
    "nested aliases (a YAML bomb)": (ALIAS_BOMB, "anchors (&amp;name) and aliases (*name) are not accepted"),
    "a file over 1 MB": (document() + "#" * 1024 * 1024, "larger than 1 MB"),
    "a date PyYAML cannot build": (
        document().replace("event: created", "event: created\n    delay_minutes: 0000-00-00"),
        "Delay minutes is a whole number of minutes",
    ),
    "a tagged date": (document(description="!!timestamp 0000-00-00").replace("'", ""), "timestamp values"),
    "a step kind that is a list": (with_content(steps=[{"kind": ["notify"]}]), "Unknown step kind"),
    "an owner role that is a mapping": (
        with_content(steps=[{"kind": "assign", "role": {"a": 1}, "target": "team", "team": "x"}]),
        "Pick which owner to assign",
    ),
    "an infinite tier": (
        with_content(steps=[{"kind": "notify", "audience": "tier", "tier": float("inf"), "message": "m"}]),
        "give the tier&#x27;s level",
    ),
    "a condition field that is a list": (
        with_content(conditions={"groups": [{"rules": [{"field": ["x"], "op": "eq", "value": 1}]}]}),
        "Unknown field",
    ),
    "a number too large for JSON": (
        with_content(conditions={"groups": [{"rules": [{"field": "account_arr", "op": "gt", "value": "1.5e400"}]}]}),
        "Account ARR (USD) compares numbers: “1.5e400” is not a number",
    ),
    "a Unicode digit for minutes": (with_content(ack_timeout_minutes="²"), "Ack timeout minutes is a whole number"),
    "minutes beyond any column": (with_content(ack_timeout_minutes=10**12), "Ack timeout minutes is at most"),
    "an owner given as a number": (
        with_content(steps=[{"kind": "human", "text": "Check"}], validation_window_minutes=60, validation_owner=5),
        "Validation window: nobody is called “5”",
    ),
}


@pytest.mark.parametrize("case", BAD_DOCUMENTS)
def test_the_upload_refuses_a_bad_file_with_a_message_and_imports_nothing(client, desk, case):
    text, message = BAD_DOCUMENTS[case]
    client.force_login(desk.manager)
    response = client.post(reverse("templates_app:import"), {"document": text})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Template.objects.exists()


def test_the_command_refuses_a_yaml_bomb_and_imports_nothing(desk, tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(ALIAS_BOMB, encoding="utf-8")
    with pytest.raises(CommandError, match=r"not valid YAML at line 1, column 4 \(anchors"):
        call_command("import_templates", str(bomb), by=desk.manager.username)
    assert not Template.objects.exists()


def test_a_name_that_looks_like_a_date_is_kept_as_text(client, desk):
    client.force_login(desk.manager)
    response = client.post(reverse("templates_app:import"), {"document": document(name="2026-01-01")})
    assert response.status_code == 302
    assert Template.objects.get().name == "2026-01-01"
