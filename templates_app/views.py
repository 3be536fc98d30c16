"""Template pages: agents read, managers edit, review and run the governance actions. Each write calls one service."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from escalations import roles
from escalations.models import Ticket
from escalations.selectors.tickets import visible_tickets
from templates_app import inbound, permissions, selectors, services
from templates_app.domain.diff import version_diff
from templates_app.domain.steps import STEP_KINDS
from templates_app.forms import (
    Editor,
    ImportForm,
    InboundEventForm,
    ReasonForm,
    ReviewForm,
    SignForm,
    TemplateCreateForm,
)
from templates_app.models import ChecklistItem, InboundSource, TemplateVersion
from templates_app.services import transfer
from templates_app.simulation import simulate

FIELDS_BY_KIND = {name: kind.params for name, kind in STEP_KINDS.items()}

SIMULATION_DAYS = (7, 30, 90)


def _ticket(request, **lookup) -> Ticket:
    """A ticket the reader may read, else 404."""
    return get_object_or_404(visible_tickets(request.user), **lookup)


def _version(request, pk: int) -> TemplateVersion:
    permissions.require_reader(request.user)
    version = selectors.version_detail(pk)
    if version is None:
        raise Http404("No such template version")
    return version


@require_GET
def policy(request):
    permissions.require_reader(request.user)
    context = {"tiers": selectors.escalation_ladder(), "severities": selectors.severities()}
    return render(request, "templates_app/policy.html", context)


@require_GET
def template_list(request):
    permissions.require_reader(request.user)
    return render(request, "templates_app/list.html", {"templates": selectors.template_list()})


@require_http_methods(["GET", "POST"])
def template_create(request):
    permissions.require_manager(request.user, "create")
    form = TemplateCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            version = services.template_create(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, f"{version.label} drafted: describe what it does.")
            return redirect("templates_app:edit", pk=version.pk)
    return render(request, "templates_app/form.html", {"form": form, "title": "New template", "button": "Create"})


@require_GET
def version_detail(request, pk: int):
    version = _version(request, pk)
    context = {
        "version": version,
        "versions": selectors.template_versions(version.template),
        "history": selectors.version_history(version),
        "runs": selectors.recent_runs(version),
        "reason_form": ReasonForm(),
        "is_manager": roles.is_manager(request.user),
        "transitions": _offered_transitions(version),
    }
    return render(request, "templates_app/version_detail.html", context)


def _offered_transitions(version: TemplateVersion) -> set[str]:
    """What the version's state machine allows now; activating a version that was live before is a rollback."""
    names = {transition.name for transition in version.get_available_status_transitions()}
    if "activate" in names and version.status == TemplateVersion.Status.SUPERSEDED:
        return names - {"activate"} | {"rollback"}
    return names


@require_http_methods(["GET", "POST"])
def version_edit(request, pk: int):
    version = _version(request, pk)
    permissions.require_manager(request.user, "edit")
    if not version.is_editable:
        messages.error(request, f"{version.label} is {version.get_status_display().lower()}: start a new draft.")
        return redirect("templates_app:version", pk=pk)
    editor = Editor(version, request.POST or None)
    errors, status = [], 200
    if request.method == "POST":
        try:
            content = editor.content()
            services.version_update(
                version=version,
                by=request.user,
                content=content,
                summary=editor.settings.cleaned_data["change_summary"],
            )
        except ValidationError as error:
            errors, status = error.messages, 400
        else:
            messages.success(request, f"{version.label} saved.")
            return redirect("templates_app:edit" if "add_rows" in request.POST else "templates_app:version", pk=pk)
    context = {"version": version, "editor": editor, "errors": errors, "step_params": FIELDS_BY_KIND}
    return render(request, "templates_app/editor.html", context, status=status)


def _simulation(request, version: TemplateVersion):
    try:
        days = int(request.GET.get("days", 30))
    except ValueError:
        days = 30
    return simulate(version, days=days if days in SIMULATION_DAYS else 30)


@require_GET
def version_simulate(request, pk: int):
    version = _version(request, pk)
    context = {"version": version, "simulation": _simulation(request, version), "day_choices": SIMULATION_DAYS}
    return render(request, "templates_app/simulate.html", context)


@require_http_methods(["GET", "POST"])
def version_review(request, pk: int):
    version = _version(request, pk)
    permissions.require_manager(request.user, "review")
    form = ReviewForm(request.POST or None, initial={"content_hash": version.content_hash(), "activate": True})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["decision"] == "approve":
                version = services.version_approve(
                    version=version,
                    by=request.user,
                    comment=data["comment"],
                    seen_hash=data["content_hash"],
                    activate=data["activate"],
                )
            else:
                version = services.version_reject(version=version, by=request.user, comment=data["comment"])
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, f"{version.label}: {version.get_status_display().lower()}.")
            return redirect("templates_app:version", pk=pk)
    context = {
        "version": version,
        "form": form,
        "simulation": _simulation(request, version),
        "day_choices": SIMULATION_DAYS,
        "diff": _against_active(version),
    }
    return render(request, "templates_app/review.html", context, status=400 if form.errors else 200)


def _against_active(version: TemplateVersion):
    active = version.template.versions.filter(status=TemplateVersion.Status.ACTIVE).exclude(pk=version.pk).first()
    return (active, version_diff(active, version)) if active else None


@require_GET
def version_diff_page(request, pk: int, other: int):
    version, against = _version(request, pk), _version(request, other)
    if against.template_id != version.template_id:
        raise Http404("Compare versions of the same template")
    context = {"old": against, "new": version, "diff": version_diff(against, version)}
    return render(request, "templates_app/diff.html", context)


ACTIONS = {
    "submit": lambda version, by, reason: services.version_submit(version=version, by=by, note=reason),
    "activate": services.version_activate,
    "rollback": lambda version, by, reason: services.template_rollback(
        template=version.template, by=by, to_version=version, reason=reason
    ),
    "retire": services.version_retire,
    "new_draft": lambda version, by, reason: services.version_new_draft(version=version, by=by),
}


@require_POST
def version_action(request, pk: int, action: str):
    version = _version(request, pk)
    if action not in ACTIONS:
        raise Http404("No such action")
    form = ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors["reason"])
        result = ACTIONS[action](version=version, by=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("templates_app:version", pk=pk)
    messages.success(request, f"{result.label}: {result.get_status_display().lower()}.")
    return redirect("templates_app:edit" if action == "new_draft" else "templates_app:version", pk=result.pk)


@require_POST
def checklist_sign(request, pk: int):
    item = get_object_or_404(ChecklistItem.objects.select_related("ticket__tier"), pk=pk)
    ticket = _ticket(request, pk=item.ticket_id)
    form = SignForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Write the decision you made: it is what the signature vouches for.")
        services.checklist_item_sign(item=item, by=request.user, decision=form.cleaned_data["decision"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Signed: {item.text}")
    return redirect("escalations:ticket", number=ticket.number)


@require_POST
def inbound_event(request, number: int):
    ticket = _ticket(request, number=number)
    form = InboundEventForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Name the event, e.g. lead_rejected or pipeline_failure.")
        services.inbound_event_record(ticket=ticket, by=request.user, **form.cleaned_data)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Event “{form.cleaned_data['name']}” recorded on {ticket.reference}.")
    return redirect("escalations:ticket", number=number)


def _source(request, slug: str) -> InboundSource | JsonResponse:
    """The posting system, or the 401/403 answer: no token, or a token that is not this active source's."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        response = JsonResponse({"errors": ["Send the source's token: Authorization: Bearer <token>."]}, status=401)
        response["WWW-Authenticate"] = "Bearer"
        return response
    source = InboundSource.objects.select_related("user").filter(slug=slug).first()
    if source is None or not source.accepts(token.strip()):
        return JsonResponse({"errors": ["This token is not valid for an active source of that name."]}, status=403)
    return source


def _too_many(wait: int) -> JsonResponse:
    limit = settings.INBOUND_RATE_LIMIT
    response = JsonResponse({"errors": [f"More than {limit} events a minute: try again in {wait} s."]}, status=429)
    response["Retry-After"] = str(wait)
    return response


@csrf_exempt  # other systems post here with a token, not a session: there is no cookie to forge
@login_not_required
@require_POST
def inbound_receive(request, slug: str):
    source = _source(request, slug)
    if isinstance(source, JsonResponse):
        return source
    if wait := services.inbound_rate_take(source=source):
        return _too_many(wait)
    try:
        event, created = services.inbound_event_receive(source=source, payload=inbound.parse(request.body))
    except ValidationError as error:
        return JsonResponse({"errors": error.messages}, status=400)
    except PermissionDenied as error:
        return JsonResponse({"errors": [str(error)]}, status=403)
    answer = {"event": event.pk, "ticket": event.ticket.reference, "duplicate": not created}
    return JsonResponse(answer, status=201 if created else 200)


@require_http_methods(["GET", "POST"])
def template_import(request):
    permissions.require_manager(request.user, "import")
    form = ImportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            drafts = transfer.import_templates(form.cleaned_data["document"], by=request.user)
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, f"Imported {len(drafts)} draft version(s): review and submit them.")
            return redirect("templates_app:list")
    context = {"form": form, "title": "Import templates", "button": "Import as drafts"}
    return render(request, "templates_app/form.html", context, status=400 if form.errors else 200)


@require_GET
def template_export(request):
    permissions.require_reader(request.user)
    response = HttpResponse(transfer.export_templates(), content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="guided-templates.yaml"'
    return response
