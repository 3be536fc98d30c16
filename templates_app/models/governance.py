"""A guided template is a named escalation path; what it does lives in its versions, which a second manager approves."""

import hashlib
import json

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords


class Event(models.TextChoices):
    """What happened to a ticket; a version's trigger names one."""

    CREATED = "created", "Ticket created"
    UPDATED = "updated", "Ticket updated"
    SLA_AT_RISK = "sla_at_risk", "SLA 75 % (escalation point reached)"
    SLA_BREACHED = "sla_breached", "SLA breached"
    ACK_TIMEOUT = "ack_timeout", "Acknowledgement timeout"
    INBOUND = "inbound", "Inbound event (CRM, pipeline, monitoring)"
    EXCEPTION = "exception", "Exception path of another template"


class Template(models.Model):
    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# The fields that make up what a version does: its hash, its diff, its YAML and its copy all read these.
CONTENT_FIELDS = [
    "event",
    "delay_minutes",
    "conditions",
    "steps",
    "ack_timeout_minutes",
    "validation_window_minutes",
    "validation_owner",
    "qa_ack_within_minutes",
    "qa_expected_state",
    "qa_notifications_delivered",
    "qa_verification_signed",
    "exception_type",
    "exception_runbook",
    "exception_triage_steps",
    "exception_evidence",
    "exception_remediation_owner",
]


class TemplateVersion(ConcurrentTransitionMixin, models.Model):
    """One version of a template: trigger, ordered steps, ownership rules, QA checks and exception path.

    Its status changes only through the transitions below, called by templates_app.services.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted for approval"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        ACTIVE = "active", "Active"
        SUPERSEDED = "superseded", "Superseded"
        RETIRED = "retired", "Retired"

    class ExceptionType(models.TextChoices):
        NONE = "", "None"
        KNOWN = "A", "Type A: known exception, run a pre-approved runbook template"
        UNKNOWN = "B", "Type B: unknown exception, human triage and a post-mortem"

    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    status = FSMField(default=Status.DRAFT, choices=Status.choices, protected=True)
    event = models.CharField(max_length=20, choices=Event.choices, default=Event.CREATED)
    delay_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Run this long after the event, and only if the conditions still hold then."
    )
    conditions = models.JSONField(default=dict, blank=True, help_text="AND/OR groups of field/operator/value rules.")
    steps = models.JSONField(default=list, blank=True, help_text="Ordered steps: kind and params.")
    ack_timeout_minutes = models.PositiveIntegerField(null=True, blank=True)
    validation_window_minutes = models.PositiveIntegerField(null=True, blank=True)
    validation_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who the ticket goes to when the validation window passes unsigned; nobody: escalate one tier.",
    )
    qa_ack_within_minutes = models.PositiveIntegerField(null=True, blank=True)
    qa_expected_state = models.JSONField(default=list, blank=True)
    qa_notifications_delivered = models.BooleanField(default=False)
    qa_verification_signed = models.BooleanField(default=False)
    exception_type = models.CharField(max_length=1, choices=ExceptionType.choices, blank=True, default="")
    exception_runbook = models.ForeignKey(
        Template, null=True, blank=True, on_delete=models.PROTECT, related_name="used_as_runbook_by"
    )
    exception_triage_steps = models.JSONField(default=list, blank=True)
    exception_evidence = models.JSONField(default=list, blank=True)
    exception_remediation_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    change_summary = models.CharField(max_length=300, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    submitted_hash = models.CharField(max_length=64, blank=True, editable=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["template__name", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="template_version_number_unique"),
            models.UniqueConstraint(
                fields=["template"], condition=Q(status="active"), name="template_one_active_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template.name} v{self.number}"

    @property
    def label(self) -> str:
        return f"«{self.template.name}» v{self.number}"

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.REJECTED)

    def content(self) -> dict:
        """What the version does, as plain data (foreign keys by id)."""
        return {name: getattr(self, self._meta.get_field(name).attname) for name in CONTENT_FIELDS}

    def content_hash(self) -> str:
        """Changes whenever what the version does changes: an approval is of exactly the submitted content."""
        canonical = json.dumps(self.content(), sort_keys=True, default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()

    @transition(field=status, source=Status.DRAFT, target=Status.SUBMITTED)
    def submit(self, by) -> None:
        self.submitted_by, self.submitted_at, self.submitted_hash = by, timezone.now(), self.content_hash()

    @transition(field=status, source=Status.SUBMITTED, target=Status.APPROVED)
    def approve(self, by, comment: str) -> None:
        self.reviewed_by, self.reviewed_at, self.review_comment = by, timezone.now(), comment

    @transition(field=status, source=Status.SUBMITTED, target=Status.REJECTED)
    def reject(self, by, comment: str) -> None:
        self.reviewed_by, self.reviewed_at, self.review_comment = by, timezone.now(), comment

    @transition(field=status, source=Status.REJECTED, target=Status.DRAFT)
    def redraft(self) -> None:
        self.submitted_hash = ""

    @transition(field=status, source=[Status.APPROVED, Status.SUPERSEDED], target=Status.ACTIVE)
    def activate(self) -> None:
        self.activated_at = timezone.now()

    @transition(field=status, source=Status.ACTIVE, target=Status.SUPERSEDED)
    def supersede(self) -> None:
        pass

    @transition(field=status, source=[Status.APPROVED, Status.ACTIVE, Status.SUPERSEDED], target=Status.RETIRED)
    def retire(self) -> None:
        pass
