"""The escalation decision: which tier a ticket goes to, on what grounds, and what the note must contain.

Explicit criteria make the decision reproducible: same situation, same outcome.
The ladder is climbed one tier at a time unless the severity warrants a leap.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from escalations.models import Escalation, EscalationCriterion, Ticket, Tier

NOTE_FIELD_LABELS = {
    "summary": "summary",
    "symptoms": "symptoms",
    "customer_impact": "customer impact",
    "business_impact": "business impact",
    "affected_users": "affected-users count",
    "steps_taken": "steps already taken",
    "reproduction_steps": "reproduction steps",
    "expected_behaviour": "expected behaviour",
    "actual_behaviour": "actual behaviour",
    "environment": "environment / version",
    "logs": "logs or data (text or an attachment)",
    "linked_tickets": "supporting / linked tickets",
    "escalation_reason": "escalation reason",
    "suggested_next_step": "suggested next step",
}
CONTEXT_FIELDS = ("summary", "symptoms", "customer_impact", "steps_taken", "escalation_reason")
ENGINEERING_HANDOFF_FIELDS = (
    "affected_users",
    "reproduction_steps",
    "expected_behaviour",
    "actual_behaviour",
    "environment",
    "logs",
)


@dataclass(frozen=True)
class EscalationDecision:
    target: Tier | None
    kind: str
    criteria_met: tuple[EscalationCriterion, ...]
    allowed: bool
    statement: str


def escalation_decision(
    *, ticket: Ticket, ladder: Sequence[Tier], criteria_met: Iterable[EscalationCriterion], is_manager: bool
) -> EscalationDecision:
    """Decide from the ticket's tier and severity and the criteria the agent says are met."""
    met = tuple(criteria_met)
    above = ticket.tier.tiers_above(ladder)
    if not above:
        return EscalationDecision(
            None, "", met, False, f"{ticket.tier.label} is the top tier: there is no tier above it."
        )
    route = ticket.severity.route_to
    if route is not None and route in above:
        statement = (
            f"Escalate to {route.label}: {ticket.severity.code} tickets go straight to {route.label} "
            "(severity override)."
        )
        return EscalationDecision(route, Escalation.Kind.SEVERITY, met, True, statement)
    target = above[0]
    if met:
        reasons = "; ".join(f"“{criterion.text}”" for criterion in met)
        return EscalationDecision(
            target, Escalation.Kind.MANUAL, met, True, f"Escalate to {target.label} because {reasons}."
        )
    statement = (
        f"No criterion of {ticket.tier.label} is met — escalating to {target.label} needs a manager override "
        "with a reason."
    )
    return EscalationDecision(target, Escalation.Kind.OVERRIDE, met, is_manager, statement)


def required_note_fields(target: Tier, ladder: Sequence[Tier]) -> tuple[str, ...]:
    """Every escalation carries its context; going to the top tier (engineering) needs the full handoff."""
    is_top = target.level == max(tier.level for tier in ladder)
    return CONTEXT_FIELDS + (ENGINEERING_HANDOFF_FIELDS if is_top else ())


def missing_note_fields(note: dict, has_attachments: bool, required: Iterable[str]) -> list[str]:
    """The required fields left empty; logs count as given when a file is attached."""
    return [
        name for name in required if note.get(name) in (None, "", [], ()) and not (name == "logs" and has_attachments)
    ]


def describe_missing(missing: Iterable[str]) -> str:
    return ", ".join(NOTE_FIELD_LABELS[name] for name in missing)
