from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseForbidden
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
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "severity", "slack_format", "is_active"]
    list_filter = ["is_active", "team", "severity"]


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
