"""Business actions of the reports: recording a post-escalation review."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from escalations.models import Escalation
from reporting.models import EscalationReview
from reporting.permissions import require_reviewer
from reporting.selectors.reviews import top_tier


def escalation_review_create(
    *, escalation: Escalation, by, cause: str, lower_tier_could_solve: bool, follow_up: str = ""
) -> EscalationReview:
    """A manager reviews an escalation to the top tier, once.

    A lower tier that could have solved it needs a follow-up: the review exists so lower tiers solve it next time.
    """
    require_reviewer(by)
    top = top_tier()
    if escalation.kind == Escalation.Kind.DEESCALATION or top is None or escalation.to_tier_id != top.pk:
        raise ValidationError(f"Only escalations to the top tier ({top.label if top else 'none'}) are reviewed.")
    if cause not in EscalationReview.Cause.values:
        raise ValidationError("Pick the cause of the escalation.")
    follow_up = (follow_up or "").strip()
    if lower_tier_could_solve and not follow_up:
        raise ValidationError("A lower tier could have solved it: say what follow-up makes that happen next time.")
    review = EscalationReview(
        escalation=escalation,
        cause=cause,
        lower_tier_could_solve=lower_tier_could_solve,
        follow_up=follow_up,
        reviewed_by=by,
    )
    review._history_user = by
    review._change_reason = f"Post-escalation review of {escalation.ticket.reference}"
    try:
        with transaction.atomic():
            review.save()
    except IntegrityError:
        raise ValidationError(f"The escalation of {escalation.ticket.reference} has already been reviewed.") from None
    return review
