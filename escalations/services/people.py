"""People's availability: someone marked away is skipped by failover, and their pending assignments fail over."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from escalations import roles
from escalations.models import Profile, Ticket
from escalations.services.audit import save_with_audit


def profile_set_away(*, user, by, is_away: bool, reason: str = "") -> Profile:
    """Someone away is skipped at once: their assignments awaiting acknowledgement fall due now."""
    if by.pk != user.pk and not (roles.is_manager(by) or roles.is_admin(by)):
        raise PermissionDenied("Only you, a manager or an admin can mark you away.")
    if roles.is_system_user(user):
        raise ValidationError(f"{user.get_username()} is a system account: it is never away.")
    with transaction.atomic():
        profile, _ = Profile.objects.select_for_update().get_or_create(user=user)
        profile.is_away, profile.away_since = is_away, timezone.now() if is_away else None
        profile._history_user = by
        profile._change_reason = reason or ("Marked away" if is_away else "Marked available")
        profile.save()
        if is_away:
            awaiting = Ticket.objects.filter(Q(primary_owner=user), status=Ticket.Status.ASSIGNED)
            for ticket in awaiting.select_for_update():
                ticket.acknowledgement_due = timezone.now()
                save_with_audit(ticket, by=by, reason=f"{user.get_username()} is away: fails over at once")
    return profile
