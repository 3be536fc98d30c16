"""Admins configure webhook endpoints and rotate their signing secrets; each change is in the endpoint's history."""

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from escalations import roles
from escalations.delivery import new_secret
from escalations.models import WebhookEndpoint
from escalations.services.notifications import positive_setting


def secret_overlap() -> timedelta:
    """How long a rotated-out secret still signs (WEBHOOK_SECRET_OVERLAP_HOURS, default 24)."""
    return timedelta(hours=positive_setting("WEBHOOK_SECRET_OVERLAP_HOURS", 24.0))


def overlap_words(endpoint: WebhookEndpoint, now: datetime) -> str:
    ends = endpoint.overlap_ends(now)
    return f"the previous secret signs too until {timezone.localtime(ends):%Y-%m-%d %H:%M}" if ends else ""


def _require_admin(by) -> None:
    if not roles.is_admin(by):
        raise PermissionDenied("Only admins configure webhook endpoints.")


def _save(endpoint: WebhookEndpoint, *, by, reason: str, fields: list[str] | None = None) -> None:
    endpoint._history_user = by
    endpoint._change_reason = reason
    endpoint.save(update_fields=fields)


# What an admin edits; saving an edit never writes the secrets back, so it cannot undo a rotation made meanwhile.
EDITABLE_FIELDS = [
    field.name for field in WebhookEndpoint._meta.concrete_fields if field.editable and not field.primary_key
]


def webhook_endpoint_save(*, endpoint: WebhookEndpoint, by) -> WebhookEndpoint:
    """Create or edit an endpoint; its address is checked here too (a new one gets its signing secret by default)."""
    _require_admin(by)
    endpoint.full_clean()
    with transaction.atomic():
        if endpoint.pk:
            _save(endpoint, by=by, reason="Edited", fields=EDITABLE_FIELDS)
        else:
            _save(endpoint, by=by, reason="Created")
    return endpoint


def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint, by, now: datetime | None = None) -> str:
    """A new signing secret, returned to be shown once; the current one keeps signing for the overlap window.

    Refused while an earlier rotation's overlap runs: a second click would otherwise retire the secret the
    receivers still use before they could switch.
    """
    _require_admin(by)
    now = now or timezone.now()
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        if locked.overlap_ends(now):
            raise ValidationError(
                f"{locked.name} was rotated already: {overlap_words(locked, now)}. End the overlap to rotate again."
            )
        locked.previous_secret, locked.secret = locked.secret, new_secret()
        locked.previous_secret_expires_at = now + secret_overlap()
        _save(locked, by=by, reason=f"Signing secret rotated: {overlap_words(locked, now)}")
    return locked.secret


def webhook_endpoint_end_overlap(*, endpoint: WebhookEndpoint, by, now: datetime | None = None) -> bool:
    """Stop signing with the previous secret now (say it leaked); False when there was no overlap to end."""
    _require_admin(by)
    now = now or timezone.now()
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        if not locked.overlap_ends(now):
            return False
        locked.previous_secret, locked.previous_secret_expires_at = "", None
        _save(locked, by=by, reason="Previous signing secret retired before its overlap ended")
    return True
