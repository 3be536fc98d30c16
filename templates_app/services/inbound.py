"""Inbound events posted by outside systems: recorded once per event id, then run like the ticket page's form."""

import math
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from escalations import roles
from escalations.services import ticket_create
from templates_app.inbound import InboundPayload
from templates_app.models import InboundEvent, InboundRateWindow, InboundSource
from templates_app.models.inbound import hash_token
from templates_app.services.records import inbound_event_record

RATE_WINDOW = timedelta(minutes=1)


def inbound_source_user(slug: str):
    """The system user a source acts as: an agent who cannot sign in, named after the source."""
    user, created = get_user_model().objects.get_or_create(
        username=f"{roles.INBOUND_USERNAME_PREFIX}{slug}", defaults={"is_active": True}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=roles.AGENTS))
    return user


def inbound_source_save(*, source: InboundSource, by, token: str = "") -> InboundSource:
    """Admins configure sources; a new token replaces the stored hash (the token itself is never kept)."""
    if not roles.is_admin(by):
        raise PermissionDenied("Only admins configure inbound sources.")
    with transaction.atomic():
        if source.user_id is None:
            source.user = inbound_source_user(source.slug)
        if token:
            source.token_hash = hash_token(token)
        source._history_user = by
        source._change_reason = "New token" if token else "Settings changed"
        source.save()
    return source


def inbound_rate_take(*, source: InboundSource) -> int:
    """Count one post against the source's INBOUND_RATE_LIMIT a minute: 0 when it may go on, else the seconds to wait.

    The count is a row in the database, so every web worker counts against the same limit. One UPDATE either starts
    a new minute or adds one while under the limit, so two posts at once never both take the last place.
    """
    now = timezone.now()
    minute = now.replace(second=0, microsecond=0)
    new_minute = Q(starts_at__lt=minute)
    with transaction.atomic():
        InboundRateWindow.objects.bulk_create(
            [InboundRateWindow(source=source, starts_at=minute)], ignore_conflicts=True
        )
        counted = InboundRateWindow.objects.filter(new_minute | Q(count__lt=settings.INBOUND_RATE_LIMIT), source=source)
        taken = counted.update(
            starts_at=Case(When(new_minute, then=Value(minute)), default=F("starts_at")),
            count=Case(When(new_minute, then=Value(1)), default=F("count") + 1),
        )
    return 0 if taken else math.ceil((minute + RATE_WINDOW - now).total_seconds())


def inbound_event_receive(*, source: InboundSource, payload: InboundPayload) -> tuple[InboundEvent, bool]:
    """Record the event (opening its ticket if asked) and run its templates; (event, False) for a repeat."""
    repeat = InboundEvent.objects.filter(origin=source, external_id=payload.event_id).select_related("ticket")
    if (event := repeat.first()) is not None:
        return event, False
    try:
        with transaction.atomic():
            ticket = payload.ticket or _open_ticket(source, payload)
            event = inbound_event_record(
                ticket=ticket,
                by=source.user,
                name=payload.name,
                source=payload.source or source.slug,
                origin=source,
                external_id=payload.event_id,
            )
    except IntegrityError:  # the same event id posted twice at once: the other request recorded it
        return repeat.get(), False
    return event, True


def _open_ticket(source: InboundSource, payload: InboundPayload):
    fields = payload.new_ticket
    return ticket_create(
        by=source.user,
        title=fields["title"],
        description=fields["description"] or f"Opened by {source.name}: {payload.name}",
        account=fields["account"],
        category=fields["category"],
        severity=fields["severity"],
        requester=fields["requester"] or source.name,
    )
