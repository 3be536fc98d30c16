"""The guided escalation, de-escalation and ownership transfer pages, and what an escalation hands on."""

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from escalations import roles, services
from escalations.domain import briefs, decisions
from escalations.forms.escalation import DeescalationForm, EscalationForm, TransferForm
from escalations.selectors import tickets as selectors
from escalations.services.escalation import active_ladder
from escalations.views.actions import get_ticket_for_user, perform, require_available, ticket_form_page

DOCUMENTS = {"handoff-brief": briefs.handoff_brief, "customer-acknowledgement": briefs.customer_acknowledgement}


@require_http_methods(["GET", "POST"])
def ticket_escalate(request, number: int):
    ticket = get_ticket_for_user(request, number)
    require_available(request, ticket, "escalate")
    ladder = active_ladder()
    preview = decisions.escalation_decision(
        ticket=ticket, ladder=ladder, criteria_met=(), is_manager=roles.is_manager(request.user)
    )
    required = decisions.required_note_fields(preview.target, ladder) if preview.target else ()
    form = EscalationForm(
        request.POST or None, request.FILES or None, ticket=ticket, target=preview.target, required=required
    )

    def escalate():
        return services.ticket_escalate(
            ticket=ticket,
            by=request.user,
            rationale=form.cleaned_data["rationale"],
            note=form.note(),
            criteria=form.cleaned_data["criteria"],
            attachments=form.cleaned_data["attachments"],
            owner=form.cleaned_data["owner"],
        )

    escalation, status = perform(request, ticket, form, escalate)
    if escalation:
        messages.success(request, f"{ticket.reference} escalated to {escalation.to_tier.label}.")
        return redirect("escalations:escalation", pk=escalation.pk)
    context = {
        "ticket": ticket,
        "form": form,
        "decision": preview,
        "required": required,
        "is_manager": roles.is_manager(request.user),
    }
    return render(request, "escalations/escalate.html", context, status=status)


@require_http_methods(["GET", "POST"])
def ticket_deescalate(request, number: int):
    ticket = get_ticket_for_user(request, number)
    require_available(request, ticket, "deescalate")
    form = DeescalationForm(request.POST or None, ticket=ticket)
    return ticket_form_page(
        request,
        ticket,
        form=form,
        label="De-escalate",
        action=lambda: services.ticket_deescalate(ticket=ticket, by=request.user, **form.cleaned_data),
        success=lambda escalation: f"{ticket.reference} de-escalated to {escalation.to_tier.label}.",
    )


@require_http_methods(["GET", "POST"])
def ticket_transfer(request, number: int):
    ticket = get_ticket_for_user(request, number)
    require_available(request, ticket, "transfer")
    form = TransferForm(request.POST or None)
    return ticket_form_page(
        request,
        ticket,
        form=form,
        label="Transfer ownership",
        action=lambda: services.ticket_transfer(ticket=ticket, by=request.user, **form.cleaned_data),
        success=lambda transfer: (
            f"{transfer.get_role_display()} of {ticket.reference} is now {transfer.to_owner.get_username()}."
        ),
    )


def _escalation_for_user(request, pk: int):
    escalation = selectors.escalation_detail(user=request.user, pk=pk)
    if escalation is None:
        raise Http404("No such escalation")
    return escalation


@require_GET
def escalation_detail(request, pk: int):
    escalation = _escalation_for_user(request, pk)
    documents = {name: render_document(escalation) for name, render_document in DOCUMENTS.items()}
    return render(
        request,
        "escalations/escalation_detail.html",
        {"escalation": escalation, "ticket": escalation.ticket, "documents": documents},
    )


@require_GET
def escalation_document(request, pk: int, document: str):
    if document not in DOCUMENTS:
        raise Http404("No such document")
    escalation = _escalation_for_user(request, pk)
    response = HttpResponse(DOCUMENTS[document](escalation), content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{escalation.ticket.reference}-{document}.md"'
    return response


@require_GET
def escalation_attachment(request, pk: int, attachment_id: int):
    """Evidence is served only to people who may read the ticket, always as a download."""
    escalation = _escalation_for_user(request, pk)
    attachment = next((item for item in escalation.attachments.all() if item.pk == attachment_id), None)
    if attachment is None or not attachment.file.storage.exists(attachment.file.name):
        raise Http404("No such attachment, or its file is no longer stored")
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.name)
