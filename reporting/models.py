"""Post-escalation reviews: managers look back at every escalation to the top tier."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from escalations.models import Escalation


class EscalationReview(models.Model):
    """A manager's look back at one escalation to the top tier: why it happened and what lower tiers need."""

    class Cause(models.TextChoices):
        DEFECT = "defect", "Product defect: needed a code change"
        INCIDENT = "incident", "Production incident or infrastructure"
        SECURITY = "security", "Security or data issue"
        ACCESS = "access", "Needed access lower tiers do not have"
        RUNBOOK_GAP = "runbook_gap", "No runbook or documentation for it"
        SKILLS_GAP = "skills_gap", "Knowledge or training gap at a lower tier"
        CUSTOMER_PRESSURE = "customer_pressure", "Customer or executive pressure"
        OTHER = "other", "Other"

    escalation = models.OneToOneField(Escalation, on_delete=models.CASCADE, related_name="review")
    cause = models.CharField(max_length=30, choices=Cause.choices)
    lower_tier_could_solve = models.BooleanField("A lower tier could have solved it")
    follow_up = models.TextField(blank=True, help_text="What changes so lower tiers solve it next time.")
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-reviewed_at", "-pk"]

    def __str__(self) -> str:
        return f"Review of {self.escalation}"
