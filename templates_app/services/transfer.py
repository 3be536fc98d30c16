"""Templates as YAML, to review them in version control: export every template's current version, import drafts.

An import never makes anything live: each template in the file becomes a new draft (a new template when the name
is new), which then goes through submit and four-eyes approval like any other. It applies all or nothing.
"""

from typing import Any, NamedTuple

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from pydantic import Field, create_model

from escalations.plain_yaml import Schema, YamlInvalid, read_yaml, text
from templates_app.content import from_portable, portable
from templates_app.models import Template, TemplateVersion
from templates_app.models.governance import CONTENT_FIELDS
from templates_app.services.governance import template_create, version_new_draft, version_update


def _current(template: Template) -> TemplateVersion | None:
    versions = list(template.versions.all())
    active = [version for version in versions if version.status == TemplateVersion.Status.ACTIVE]
    return (active or sorted(versions, key=lambda version: -version.number) or [None])[0]


def export_templates() -> str:
    templates = Template.objects.prefetch_related(
        "versions__exception_runbook", "versions__exception_remediation_owner", "versions__validation_owner"
    ).order_by("pk")
    document = [
        {"name": template.name, "description": template.description, "version": portable(version)}
        for template in templates
        if (version := _current(template)) is not None
    ]
    return yaml.safe_dump({"templates": document}, sort_keys=False, allow_unicode=True)


# The version's fields by name, so a misspelt one is refused; their values are clean_content's to check.
VersionFields = create_model("VersionFields", __base__=Schema, **{name: (Any, None) for name in CONTENT_FIELDS})


class TemplateEntry(Schema):
    name: text(Template._meta.get_field("name").max_length)
    description: text(blank=True) = ""
    version: VersionFields = Field(default_factory=VersionFields)


class TemplatesFile(Schema):
    templates: list[TemplateEntry]


class Entry(NamedTuple):
    """A template entry of the file, with its path there (`templates[2]`) to name where a problem is."""

    path: str
    name: str
    description: str
    version: dict


def entries(document: str) -> list[Entry]:
    """The file's template entries, checked for shape; ValidationError with every problem, by its path, otherwise."""
    try:
        templates = read_yaml(document, TemplatesFile).templates
    except YamlInvalid as invalid:
        raise ValidationError(invalid.errors) from None
    return [
        Entry(f"templates[{index}]", entry.name, entry.description, entry.version.model_dump(exclude_unset=True))
        for index, entry in enumerate(templates)
    ]


def import_templates(document: str, *, by) -> list[TemplateVersion]:
    return import_entries(entries(document), by=by)


def import_entries(items: list[Entry], *, by) -> list[TemplateVersion]:
    """One new draft per template entry; every problem of every template reported at once, by its path."""
    drafts, errors = [], []
    with transaction.atomic():
        for entry in items:
            try:
                with transaction.atomic():
                    drafts.append(_import_one(entry, by))
            except ValidationError as error:
                errors.extend(_located(entry, error))
        if errors:
            raise ValidationError(errors)
    return drafts


def _located(entry: Entry, error: ValidationError) -> list[str]:
    """A version's problems are by field (`templates[0].version.steps: …`); the others are the entry's."""
    if not hasattr(error, "error_dict"):
        return [f"{entry.path}: {message}" for message in error.messages]
    by_field = error.message_dict.items()
    return [f"{entry.path}.version.{field}: {message}" for field, messages in by_field for message in messages]


def _import_one(entry: Entry, by) -> TemplateVersion:
    template = Template.objects.filter(name=entry.name).first()
    if template is None:
        draft = template_create(by=by, name=entry.name, description=entry.description)
    else:
        draft = version_new_draft(version=_current(template), by=by)
    return version_update(version=draft, by=by, content=from_portable(entry.version), summary="Imported from YAML")
