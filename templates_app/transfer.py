"""Templates as YAML, to review them in version control: export every template's current version, import drafts.

An import never makes anything live: each template in the file becomes a new draft (a new template when the name
is new), which then goes through submit and four-eyes approval like any other. It applies all or nothing.
"""

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction

from escalations.plain_yaml import YamlRefused, load_plain_yaml
from templates_app import services
from templates_app.content import from_portable, portable
from templates_app.models import Template, TemplateVersion


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


NAME_MAX_LENGTH = Template._meta.get_field("name").max_length


def _entry_problems(entry: dict) -> list[str]:
    problems = []
    if not isinstance(entry.get("description") or "", str):
        problems.append(f"{entry['name']}: the description is text.")
    if not isinstance(entry.get("version") or {}, dict):
        problems.append(f"{entry['name']}: the version is a mapping of its fields (event, conditions, steps …).")
    return problems


def _named(entry) -> bool:
    name = entry.get("name") if isinstance(entry, dict) else None
    return isinstance(name, str) and 0 < len(name.strip()) <= NAME_MAX_LENGTH


def entries(document: str) -> list[dict]:
    """The file's template entries, checked for shape; ValidationError with every problem otherwise."""
    try:
        data = load_plain_yaml(document)
    except YamlRefused as refused:
        raise ValidationError(f"This document is {refused.problem}.") from None
    entries = data.get("templates") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not all(_named(entry) for entry in entries):
        raise ValidationError(
            "Expected `templates:` with a list of entries, "
            f"each with a name (text of at most {NAME_MAX_LENGTH} characters) and a version."
        )
    if problems := [problem for entry in entries for problem in _entry_problems(entry)]:
        raise ValidationError(problems)
    return entries


def import_templates(document: str, *, by) -> list[TemplateVersion]:
    return import_entries(entries(document), by=by)


def import_entries(items: list[dict], *, by) -> list[TemplateVersion]:
    """One new draft per template entry; every problem of every template reported at once."""
    drafts, errors = [], []
    with transaction.atomic():
        for entry in items:
            try:
                with transaction.atomic():
                    drafts.append(_import_one(entry, by))
            except ValidationError as error:
                errors.extend(f"{entry['name']}: {message}" for message in error.messages)
        if errors:
            raise ValidationError(errors)
    return drafts


def _import_one(entry: dict, by) -> TemplateVersion:
    template = Template.objects.filter(name=entry["name"]).first()
    if template is None:
        draft = services.template_create(by=by, name=entry["name"], description=entry.get("description") or "")
    else:
        draft = services.version_new_draft(version=_current(template), by=by)
    return services.version_update(
        version=draft, by=by, content=from_portable(entry.get("version") or {}), summary="Imported from YAML"
    )
