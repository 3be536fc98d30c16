from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django_fsm.admin import FSMAdminMixin, FSMTransitionContext

from config.admin import AuditedAdmin, RecordAdmin
from escalations import roles, services
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
from escalations.services.audit import transition_label
from escalations.services.people import profile_set_away


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

    def response_change(self, request, obj):
        """A transition button leads to the transition's form; a name the admin does not offer is refused."""
        if self.fsm_post_param in request.POST:
            _offered(request.POST[self.fsm_post_param])
        return super().response_change(request, obj)

    def fsm_transition_view(self, request, object_id, transition_name, **kwargs):
        """Replaces django-fsm-2's view: the transition runs through its service, which checks permission."""
        service = _offered(transition_name)
        ticket = self.get_object(request, unquote(object_id))
        if ticket is None:
            raise Http404("No such ticket.")
        form = TRANSITION_FORMS[transition_name](request.POST if request.method == "POST" else None)
        if form.is_valid():
            try:
                service(ticket=ticket, by=request.user, **form.cleaned_data)
            except (PermissionDenied, ValidationError, services.TicketConflict) as error:
                self.message_user(request, "; ".join(getattr(error, "messages", [str(error)])), level=messages.ERROR)
            else:
                self.message_user(request, f"{ticket.reference}: {transition_name} done.", level=messages.SUCCESS)
                return redirect("admin:escalations_ticket_change", ticket.pk)
        label = transition_label(getattr(Ticket, transition_name))
        context = self.admin_site.each_context(request) | {
            "opts": self.opts,
            "original": ticket,
            "transition": FSMTransitionContext(name=transition_name, label=label),
            "transition_form": form,
        }
        return render(request, self.fsm_transition_form_template, context)


def _offered(transition_name: str):
    """The service behind a transition the admin offers; the guided ones and anything else are refused."""
    if transition_name in services.SIMPLE_TRANSITIONS:
        return services.SIMPLE_TRANSITIONS[transition_name]
    transitions = Ticket._meta.get_field("status").get_all_transitions(Ticket)
    if transition_name in {transition.name for transition in transitions}:
        raise PermissionDenied(f"To {transition_name} a ticket, use its page on the desk: it needs the guided form.")
    raise Http404("The admin offers no such transition.")


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
class ProfileAdmin(AuditedAdmin):
    """The away flag goes through the desk's service: what awaits the person's acknowledgement fails over at once."""

    list_display = ["user", "is_away", "away_since"]
    list_filter = ["is_away"]
    fields = ["user", "is_away", "away_since"]

    def get_readonly_fields(self, request, obj=None):
        return ["user", "away_since"] if obj else ["away_since"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = roles.without_system_users(get_user_model().objects.filter(is_active=True))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # mark the person available instead: that is recorded

    def save_model(self, request, obj, form, change) -> None:
        profile = profile_set_away(user=obj.user, by=request.user, is_away=obj.is_away, reason="Set in the admin")
        obj.pk, obj.away_since = profile.pk, profile.away_since
