from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpResponseForbidden
from django.utils import timezone
from django_fsm.admin import FSMAdminMixin
from simple_history.admin import SimpleHistoryAdmin

from escalations import services
from escalations.forms.tickets import TRANSITION_FORMS
from escalations.models import (
    Account,
    Calendar,
    EscalationCriterion,
    Holiday,
    Notification,
    Profile,
    Severity,
    SlaEvent,
    Ticket,
    Tier,
    WebhookEndpoint,
)
from escalations.services import webhooks


class AuditedAdmin(SimpleHistoryAdmin):
    """History is viewable, never written back: a revert would bypass the state machine and the audit trail."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            return HttpResponseForbidden("Reverting to an old version is disabled; change the record through the desk.")
        return super().history_form_view(request, object_id, version_id, extra_context)


class CriterionInline(admin.TabularInline):
    model = EscalationCriterion
    extra = 1
    fields = ["position", "text", "is_active"]


@admin.register(Tier)
class TierAdmin(AuditedAdmin):
    list_display = [
        "label",
        "name",
        "team",
        "first_response_sla",
        "resolution_target",
        "escalate_at_percent",
        "is_active",
    ]
    list_filter = ["is_active"]
    inlines = [CriterionInline]


@admin.register(Severity)
class SeverityAdmin(AuditedAdmin):
    list_display = ["code", "sev_label", "description", "route_to", "notification_channel", "customer_update_cadence"]
    list_select_related = ["route_to"]


@admin.register(Account)
class AccountAdmin(AuditedAdmin):
    list_display = ["name", "tier", "arr", "health_score", "primary_contact"]
    list_filter = ["tier"]
    search_fields = ["name", "primary_contact"]


@admin.register(EscalationCriterion)
class EscalationCriterionAdmin(AuditedAdmin):
    list_display = ["text", "tier", "position", "is_active"]
    list_filter = ["tier", "is_active"]
    list_select_related = ["tier"]


@admin.register(Ticket)
class TicketAdmin(FSMAdminMixin, AuditedAdmin):
    """Tickets are read-only here; the only changes offered are transitions, and they go through the services."""

    fsm_fields = ["status"]
    fsm_forms = TRANSITION_FORMS
    list_display = ["reference", "title", "account", "severity", "tier", "status", "primary_owner", "resolution_due"]
    list_filter = ["status", "severity", "tier"]
    list_select_related = ["account", "severity", "tier", "primary_owner"]
    search_fields = ["=number", "title", "account__name"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def is_fsm_transition_visible(self, transition) -> bool:
        """Escalating, de-escalating and transferring need the desk's guided forms (criteria, note, reason)."""
        return transition.name in services.SIMPLE_TRANSITIONS

    def save_model(self, request, obj, form, change) -> None:
        """Fields are read-only: saving the change form writes nothing."""

    def _apply_fsm_transition(self, *, obj, transition_name, request, kwargs=None) -> bool:
        service = services.SIMPLE_TRANSITIONS[transition_name]
        try:
            service(ticket=obj, by=request.user, **(kwargs or {"reason": "Done from the admin"}))
        except (PermissionDenied, ValidationError, services.TicketConflict) as error:
            self.message_user(request, "; ".join(getattr(error, "messages", [str(error)])), level=messages.ERROR)
            return False
        self.message_user(request, f"{obj.reference}: {transition_name} done.", level=messages.SUCCESS)
        return True


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 1


@admin.register(Calendar)
class CalendarAdmin(AuditedAdmin):
    list_display = ["name", "time_zone", "is_24x7"]
    inlines = [HolidayInline]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(AuditedAdmin):
    """A new endpoint's signing secret is shown once; "Rotate" makes a new one, shown once, the old one signing too
    for the overlap window. The secrets are never displayed again."""

    list_display = ["name", "team", "severity", "slack_format", "is_active", "signing"]
    list_filter = ["is_active", "team", "severity"]
    readonly_fields = ["signing"]
    actions = ["rotate_secret", "end_overlap"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}  # a webhook typed without a scheme

    @admin.display(description="Signing")
    def signing(self, obj: WebhookEndpoint) -> str:
        if obj.pk is None:
            return "A secret is made when you save, and shown once."
        overlap = webhooks.overlap_words(obj, timezone.now())
        return f"Rotated: {overlap}" if overlap else "One secret"

    def save_model(self, request, obj, form, change) -> None:
        webhooks.webhook_endpoint_save(endpoint=obj, by=request.user)
        if not change:
            messages.warning(request, f"The signing secret of {obj.name}, shown this once: {obj.secret}")

    @admin.action(description="Rotate the signing secret", permissions=["change"])
    def rotate_secret(self, request, queryset) -> None:
        for endpoint in queryset:
            try:
                secret = webhooks.webhook_endpoint_rotate_secret(endpoint=endpoint, by=request.user)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), level=messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"The new signing secret of {endpoint.name}, shown this once: {secret}",
                    level=messages.WARNING,
                )

    @admin.action(description="Stop signing with the previous secret now", permissions=["change"])
    def end_overlap(self, request, queryset) -> None:
        ended = [
            endpoint.name
            for endpoint in queryset
            if webhooks.webhook_endpoint_end_overlap(endpoint=endpoint, by=request.user)
        ]
        self.message_user(
            request, f"Only the current secret signs now for: {', '.join(ended) or 'none (nothing was rotated)'}."
        )


class RecordAdmin(admin.ModelAdmin):
    """What the desk and the clock recorded: readable, never edited by hand."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SlaEvent)
class SlaEventAdmin(RecordAdmin):
    list_display = ["ticket", "kind", "deadline", "acted_at", "outcome"]
    list_filter = ["kind"]
    list_select_related = ["ticket"]


@admin.register(Notification)
class NotificationAdmin(RecordAdmin):
    list_display = ["subject", "channel", "recipient", "status", "attempts", "created_at", "delivered_at"]
    list_filter = ["status", "channel"]
    list_select_related = ["recipient"]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "is_away", "away_since"]
    list_filter = ["is_away"]
