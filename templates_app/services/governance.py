"""Template governance: drafts, four-eyes approval, activation, rollback and retirement, each with actor and reason.

Four eyes: whoever drafted, edited or submitted a version (its history says so) may not approve it, and a version
whose content changed after it was submitted, or after the approver opened it, is refused whatever the POST says.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django_fsm import can_proceed

from templates_app.content import clean_content, current_content
from templates_app.models import Template, TemplateVersion
from templates_app.permissions import require_manager

Status = TemplateVersion.Status


def _require_text(text: str, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(f"{what}: it goes into the template's audit trail.")
    return text


def _save(version: TemplateVersion, *, by, reason: str) -> TemplateVersion:
    version._history_user = by
    version._change_reason = reason
    version.save()
    return version


DONE = {"submit": "submitted", "approve": "approved", "reject": "rejected", "retire": "retired"}


def _transition(version: TemplateVersion, name: str, *args) -> None:
    method = getattr(version, name)
    if not can_proceed(method):
        state = version.get_status_display().lower()
        raise ValidationError(f"{version.label} is {state}; it cannot be {DONE[name]} now.")
    method(*args)


def _locked(version: TemplateVersion) -> TemplateVersion:
    """The version re-read under a row lock: two managers acting at once take turns."""
    return TemplateVersion.objects.select_for_update().select_related("template").get(pk=version.pk)


def template_create(*, by, name: str, description: str = "") -> TemplateVersion:
    """A new template and its empty first draft."""
    require_manager(by, "create")
    name = _require_text(name, "Give the template a name")
    if Template.objects.filter(name__iexact=name).exists():
        raise ValidationError(f"A template called “{name}” exists already.")
    with transaction.atomic():
        template = Template(name=name, description=description.strip(), created_by=by)
        template._history_user = by
        template.save()
        version = TemplateVersion(template=template, number=1, author=by, steps=[])
        return _save(version, by=by, reason="Drafted")


def version_update(*, version: TemplateVersion, by, content: dict, summary: str = "") -> TemplateVersion:
    """Replace a draft's content; editing a rejected version takes it back to draft, the review comment kept."""
    require_manager(by, "edit")
    cleaned = clean_content(content, template=version.template)
    with transaction.atomic():
        version = _locked(version)
        if not version.is_editable:
            raise ValidationError(f"{version.label} is {version.get_status_display().lower()}: start a new draft.")
        if version.status == Status.REJECTED:
            version.redraft()
        for name, value in cleaned.items():
            setattr(version, name, value)
        version.change_summary = summary.strip()[:300] or version.change_summary
        return _save(version, by=by, reason="Edited")


def version_new_draft(*, version: TemplateVersion, by) -> TemplateVersion:
    """A new draft copying what `version` does, numbered after the template's last version."""
    require_manager(by, "draft")
    with transaction.atomic():
        template = Template.objects.select_for_update().get(pk=version.template_id)
        number = (template.versions.aggregate(last=Max("number"))["last"] or 0) + 1
        draft = TemplateVersion(template=template, number=number, author=by)
        for name, value in version.content().items():
            setattr(draft, TemplateVersion._meta.get_field(name).attname, value)
        draft.change_summary = f"From v{version.number}"
        return _save(draft, by=by, reason=f"Drafted from v{version.number}")


def version_submit(*, version: TemplateVersion, by, note: str = "") -> TemplateVersion:
    require_manager(by, "submit")
    with transaction.atomic():
        version = _locked(version)
        clean_content(current_content(version), template=version.template)
        _transition(version, "submit", by)
        return _save(version, by=by, reason=f"Submitted for approval{': ' + note.strip() if note.strip() else ''}")


def contributors(version: TemplateVersion) -> set[int]:
    """Everyone who drafted, edited or submitted this version, from its history."""
    drafting = [Status.DRAFT, Status.SUBMITTED]
    ids = version.history.filter(status__in=drafting).values_list("history_user_id", flat=True)
    return {version.author_id, version.submitted_by_id, *ids} - {None}


def _require_reviewer(version: TemplateVersion, by) -> None:
    require_manager(by, "approve or reject")
    if by.pk in contributors(version):
        raise PermissionDenied(f"You drafted or submitted {version.label}: another manager has to review it.")


def version_approve(
    *, version: TemplateVersion, by, comment: str, seen_hash: str, activate: bool = True
) -> TemplateVersion:
    """Sign off a submitted version (and, by default, make it the active one)."""
    comment = _require_text(comment, "Write a sign-off comment")
    with transaction.atomic():
        version = _locked(version)
        _require_reviewer(version, by)
        current = version.content_hash()
        if current != version.submitted_hash:
            raise ValidationError(f"{version.label} changed after it was submitted: it has to be submitted again.")
        if seen_hash != current:
            raise ValidationError(f"{version.label} changed since you opened it: review it again.")
        _transition(version, "approve", by, comment)
        _save(version, by=by, reason=f"Approved: {comment}")
        return (
            _activate(version, by=by, reason=f"Activated on approval by {by.get_username()}") if activate else version
        )


def version_reject(*, version: TemplateVersion, by, comment: str) -> TemplateVersion:
    comment = _require_text(comment, "Say what has to change")
    with transaction.atomic():
        version = _locked(version)
        _require_reviewer(version, by)
        _transition(version, "reject", by, comment)
        return _save(version, by=by, reason=f"Rejected: {comment}")


def _activate(version: TemplateVersion, *, by, reason: str) -> TemplateVersion:
    """Supersede the active version and activate this one; the partial unique index keeps it to one."""
    Template.objects.select_for_update().filter(pk=version.template_id).first()
    if not can_proceed(version.activate):
        raise ValidationError(
            f"{version.label} is {version.get_status_display().lower()}: only approved versions go live."
        )
    for active in TemplateVersion.objects.filter(template_id=version.template_id, status=Status.ACTIVE):
        active.supersede()
        _save(active, by=by, reason=f"Superseded by v{version.number}")
    version.activate()
    try:
        with transaction.atomic():
            return _save(version, by=by, reason=reason)
    except IntegrityError:
        raise ValidationError("Another version was activated at the same moment; reload and try again.") from None


def version_activate(*, version: TemplateVersion, by, reason: str) -> TemplateVersion:
    require_manager(by, "activate")
    reason = _require_text(reason, "Say why it goes live")
    with transaction.atomic():
        return _activate(_locked(version), by=by, reason=f"Activated: {reason}")


def template_rollback(*, template: Template, by, to_version: TemplateVersion, reason: str) -> TemplateVersion:
    """Put an earlier approved version back in force in one action; new events use it at once."""
    require_manager(by, "roll back")
    reason = _require_text(reason, "Say why you roll back")
    if to_version.template_id != template.pk:
        raise ValidationError(f"v{to_version.number} is not a version of {template.name}.")
    with transaction.atomic():
        to_version = _locked(to_version)
        if to_version.status != Status.SUPERSEDED:
            raise ValidationError(f"Roll back to a version that was live before; v{to_version.number} was not.")
        return _activate(to_version, by=by, reason=f"Rolled back to v{to_version.number}: {reason}")


def version_retire(*, version: TemplateVersion, by, reason: str) -> TemplateVersion:
    require_manager(by, "retire")
    reason = _require_text(reason, "Say why it is retired")
    with transaction.atomic():
        version = _locked(version)
        _transition(version, "retire")
        return _save(version, by=by, reason=f"Retired: {reason}")
