"""Queries behind the escalation policy pages."""

from django.db.models import Prefetch, QuerySet

from escalations.models import EscalationCriterion, Severity, Tier


def escalation_ladder() -> QuerySet[Tier]:
    """Active tiers in order, each with its active criteria and the severities routed straight to it."""
    return (
        Tier.objects.filter(is_active=True)
        .select_related("team")
        .prefetch_related(
            Prefetch(
                "criteria", queryset=EscalationCriterion.objects.filter(is_active=True), to_attr="active_criteria"
            ),
            Prefetch("routed_severities", queryset=Severity.objects.order_by("code"), to_attr="overrides"),
        )
    )


def severities() -> QuerySet[Severity]:
    return Severity.objects.select_related("route_to")
