"""Templates are read in the admin, never edited there: edits go through the editor and four-eyes approval."""

import secrets

from django import forms
from django.contrib import admin, messages

from config.admin import AuditedAdmin, RecordAdmin
from escalations import roles
from templates_app import services
from templates_app.models import DelayedTrigger, InboundSource, Template, TemplateRun, TemplateVersion, ValidationWindow


class AdminsRead(RecordAdmin):
    """The role groups' grants predate this app: Admins read it by role."""

    def has_module_permission(self, request) -> bool:
        return roles.is_admin(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return roles.is_admin(request.user)


@admin.register(Template)
class TemplateAdmin(AdminsRead, AuditedAdmin):
    list_display = ["name", "created_by", "created_at"]


@admin.register(TemplateVersion)
class TemplateVersionAdmin(AdminsRead, AuditedAdmin):
    list_display = ["template", "number", "status", "author", "reviewed_by"]
    list_filter = ["status"]


@admin.register(TemplateRun)
class TemplateRunAdmin(AdminsRead):
    list_display = ["version", "ticket", "event", "result", "actions", "started_at"]
    list_filter = ["result", "event"]


@admin.register(DelayedTrigger)
class DelayedTriggerAdmin(AdminsRead):
    list_display = ["version", "ticket", "event", "due_at", "state", "outcome"]
    list_filter = ["state", "event"]
    list_select_related = ["version__template", "ticket"]


@admin.register(ValidationWindow)
class ValidationWindowAdmin(AdminsRead):
    list_display = ["run", "ticket", "due_at", "owner", "state", "outcome"]
    list_filter = ["state"]
    list_select_related = ["run__version__template", "run__ticket", "ticket", "owner"]


class InboundSourceForm(forms.ModelForm):
    new_token = forms.CharField(
        required=False,
        min_length=32,
        widget=forms.PasswordInput(render_value=False),
        help_text="At least 32 characters. Leave empty to keep the token (a new source gets a random one, shown once). "
        "Only its hash is stored.",
    )

    class Meta:
        model = InboundSource
        fields = ["name", "slug", "is_active"]


@admin.register(InboundSource)
class InboundSourceAdmin(AuditedAdmin):
    """Admins configure which outside systems may post inbound events, and their tokens."""

    form = InboundSourceForm
    list_display = ["name", "slug", "is_active", "user", "created_at"]

    def has_module_permission(self, request) -> bool:
        return roles.is_admin(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return roles.is_admin(request.user)

    def has_add_permission(self, request) -> bool:
        return roles.is_admin(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return roles.is_admin(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # its events keep pointing at it: deactivate it instead

    def save_model(self, request, obj, form, change) -> None:
        token = form.cleaned_data["new_token"] or ("" if change else secrets.token_urlsafe(32))
        services.inbound_source_save(source=obj, by=request.user, token=token)
        if token and not form.cleaned_data["new_token"]:
            messages.warning(request, f"The token of {obj.name}, shown this once: {token}")
