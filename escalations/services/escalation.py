"""Moving a ticket between tiers: guided escalation with criteria and a note, de-escalation, the ping-pong guard."""

from collections.abc import Iterable, Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from escalations import roles
from escalations.domain import decisions
from escalations.models import (
    BounceRefusal,
    Escalation,
    EscalationAttachment,
    EscalationCriterion,
    EscalationNote,
    Ticket,
    Tier,
)
from escalations.models.escalation import validate_attachment
from escalations.services.audit import (
    require_reason,
    require_tier_member,
    require_transition,
    run_transition,
    save_with_audit,
)


class PingPongRefused(ValidationError):
    """The move would bounce the ticket back to a tier it already left once too often."""


def active_ladder() -> list[Tier]:
    return list(Tier.objects.filter(is_active=True).order_by("level"))


def bounces_so_far(ticket: Ticket) -> tuple[int, set[int]]:
    """How often the ticket already came back to a tier it had left, and the tiers it has left."""
    left, bounces = set(), 0
    for from_tier_id, to_tier_id in ticket.escalations.order_by("created_at", "pk").values_list("from_tier", "to_tier"):
        bounces += to_tier_id in left
        left.add(from_tier_id)
    return bounces, left


def guard_against_ping_pong(ticket: Ticket, *, by, to_tier: Tier) -> None:
    """Refuse a move back to a tier the ticket left, past the allowed bounces, and flag it for a manager.

    Once escalated, the receiving tier owns the ticket: no ping-pong. Managers may still move it: they decide.
    The refusal and the flag are committed even though the move is not.
    """
    bounces, left = bounces_so_far(ticket)
    if to_tier.pk not in left or bounces < settings.ESCALATION_MAX_BOUNCES or roles.is_manager(by):
        return
    reason = (
        f"Ping-pong refused: {by.get_username()} tried to send it back to {to_tier.label} after {bounces} bounce(s)"
    )
    with transaction.atomic():
        BounceRefusal.objects.create(ticket=ticket, from_tier=ticket.tier, to_tier=to_tier, by=by)
        ticket.flagged_at, ticket.flag_reason = timezone.now(), reason[:300]
        save_with_audit(ticket, by=by, reason=reason)
    raise PingPongRefused(
        f"{ticket.reference} has already bounced back to a tier it left ({bounces}×). Sending it back to "
        f"{to_tier.label} would ping-pong: {ticket.tier.label} owns it now. A manager has been flagged to decide."
    )


def _validated_criteria(ticket: Ticket, criteria: Iterable[EscalationCriterion]) -> list[EscalationCriterion]:
    criteria = list(criteria)
    foreign = [
        criterion.text for criterion in criteria if criterion.tier_id != ticket.tier_id or not criterion.is_active
    ]
    if foreign:
        raise ValidationError(f"Not an active criterion of {ticket.tier.label}: {'; '.join(foreign)}.")
    return criteria


def _require_note(note: dict, attachments: Sequence[UploadedFile], target: Tier, ladder: list[Tier]) -> None:
    for upload in attachments:
        validate_attachment(upload)
    missing = decisions.missing_note_fields(note, bool(attachments), decisions.required_note_fields(target, ladder))
    if missing:
        raise ValidationError(
            f"The escalation note to {target.label} is missing: {decisions.describe_missing(missing)}."
        )


def _clear_flag_for_manager(ticket: Ticket, by) -> None:
    if roles.is_manager(by):
        ticket.flagged_at, ticket.flag_reason = None, ""


def ticket_escalate(
    *,
    ticket: Ticket,
    by,
    rationale: str,
    note: dict,
    criteria: Iterable[EscalationCriterion] = (),
    attachments: Sequence[UploadedFile] = (),
    owner=None,
) -> Escalation:
    """Escalate on the organisation's criteria (or a manager's override, or the severity's route) with a full note."""
    require_transition(ticket, name="escalate", by=by)
    ladder = active_ladder()
    decision = decisions.escalation_decision(
        ticket=ticket,
        ladder=ladder,
        criteria_met=_validated_criteria(ticket, criteria),
        is_manager=roles.is_manager(by),
    )
    if decision.target is None or not decision.allowed:
        raise ValidationError(decision.statement)
    rationale = require_reason(rationale, "escalate (the rationale)")
    _require_note(note, attachments, decision.target, ladder)
    require_tier_member(owner, decision.target)
    guard_against_ping_pong(ticket, by=by, to_tier=decision.target)
    from_tier = ticket.tier
    _clear_flag_for_manager(ticket, by)

    def record() -> Escalation:
        escalation = Escalation.objects.create(
            ticket=ticket,
            from_tier=from_tier,
            to_tier=decision.target,
            kind=decision.kind,
            rationale=rationale,
            new_owner=owner,
            by=by,
        )
        escalation.criteria.set(decision.criteria_met)
        EscalationNote.objects.create(escalation=escalation, **note)
        for upload in attachments:
            EscalationAttachment.objects.create(escalation=escalation, file=upload, name=upload.name, size=upload.size)
        return escalation

    return run_transition(
        ticket,
        by=by,
        name="escalate",
        reason=f"{decision.statement} {rationale}",
        record=record,
        to_tier=decision.target,
        owner=owner,
    )


DEESCALATION_REASONS = [
    "Fix deployed; follow-up and monitoring belong to a lower tier",
    "Workaround in place; the remaining work is within the lower tier's capability",
    "Root cause was configuration or usage, not a defect",
    "The escalation was not needed: the lower tier can resolve it with the runbook",
]


def ticket_deescalate(*, ticket: Ticket, by, to_tier: Tier, reason: str, rationale: str, owner=None) -> Escalation:
    """Return the ticket to a lower tier once the part that needed this tier is done."""
    require_transition(ticket, name="deescalate", by=by)
    if reason not in DEESCALATION_REASONS:
        raise ValidationError("Pick one of the de-escalation criteria.")
    rationale = require_reason(rationale, "de-escalate")
    if not to_tier.is_active or to_tier.level >= ticket.tier.level:
        raise ValidationError(f"De-escalation goes down: pick an active tier below {ticket.tier.label}.")
    require_tier_member(owner, to_tier)
    guard_against_ping_pong(ticket, by=by, to_tier=to_tier)
    from_tier = ticket.tier
    _clear_flag_for_manager(ticket, by)

    def record() -> Escalation:
        return Escalation.objects.create(
            ticket=ticket,
            from_tier=from_tier,
            to_tier=to_tier,
            kind=Escalation.Kind.DEESCALATION,
            rationale=f"{reason}. {rationale}",
            new_owner=owner,
            by=by,
        )

    return run_transition(
        ticket,
        by=by,
        name="deescalate",
        reason=f"De-escalated to {to_tier.label}: {reason}. {rationale}",
        record=record,
        to_tier=to_tier,
        owner=owner,
    )
