"""Templates imported as YAML (the upload page and `import_templates`): a bad file is a message, never a 500."""

from pathlib import Path

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from templates_app.models import Template
from templates_app.services import transfer

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
    "a name that is a list": (document(name=[1, 2]), "templates[0].name: expected some text, got a list"),
    "a name that is a number": (document(name=42), "templates[0].name: expected some text, got 42"),
    "a name over 120 characters": (
        document(name="x" * 121),
        "templates[0].name: is 121 characters long; the limit is 120",
    ),
    "a description that is a mapping": (
        document(description={"a": "b"}),
        "templates[0].description: expected some text, got a mapping",
    ),
    "a version given as a list": (document(version=[NOTIFY]), "templates[0].version: expected a mapping"),
    "an unknown key": (document(owner="me"), "templates[0].owner: unknown key (expected one of name, description"),
    "a misspelt version field": (
        with_content(stpes=[]),
        "templates[0].version.stpes: unknown key (expected one of event",
    ),
    "NUL in a step's text": (
        document(version={"event": "created", "steps": [{"kind": "human", "text": "Check\x00it"}]}),
        "document: not valid YAML at line 7, column 13 (this value contains a NUL character",
    ),
    "deeply nested YAML": ("templates: " + "[" * 5000 + "]" * 5000, "document: not valid YAML at line 1, column 61"),
    "nested aliases (a YAML bomb)": (ALIAS_BOMB, "anchors (&amp;name) and aliases (*name) are not accepted"),
    "a file over 1 MB": (document() + "#" * 1024 * 1024, "document: larger than 1 MB"),
    "a date PyYAML cannot build": (
        document().replace("event: created", "event: created\n    delay_minutes: 0000-00-00"),
        "templates[0].version.delay_minutes: Delay minutes is a whole number of minutes",
    ),
    "a tagged date": (document(description="!!timestamp 0000-00-00").replace("'", ""), "timestamp values"),
    "a step kind that is a list": (
        with_content(steps=[{"kind": ["notify"]}]),
        "templates[0].version.steps: Step 1: Unknown step kind",
    ),
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


def paths(refused: pytest.ExceptionInfo) -> list[str]:
    return [message.split(": ")[0] for message in refused.value.messages]


def test_it_names_every_entry_of_a_wrong_shape_by_its_path(desk):
    text = yaml.safe_dump({"templates": [{"name": 42}, {"name": "Fine", "version": [NOTIFY]}, {"version": {}}]})

    with pytest.raises(ValidationError) as refused:
        transfer.import_templates(text, by=desk.manager)

    assert paths(refused) == ["templates[0].name", "templates[1].version", "templates[2].name"]
    assert refused.value.messages[2] == "templates[2].name: missing"


def test_it_names_every_bad_field_of_every_version_by_its_path_and_imports_nothing(desk):
    text = yaml.safe_dump(
        {
            "templates": [
                {"name": "First", "version": {"event": "nope", "steps": [NOTIFY], "ack_timeout_minutes": 0}},
                {"name": "Second", "version": {"event": "created", "steps": []}},
            ]
        }
    )

    with pytest.raises(ValidationError) as refused:
        transfer.import_templates(text, by=desk.manager)

    assert paths(refused) == [
        "templates[0].version.event",
        "templates[0].version.ack_timeout_minutes",
        "templates[1].version.steps",
    ]
    assert not Template.objects.exists()
