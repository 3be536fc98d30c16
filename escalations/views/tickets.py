from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from escalations import services
from escalations.forms.tickets import TRANSITION_FORMS, NoteForm, ReasonForm, TicketForm
from escalations.selectors.panels import ticket_panels
from escalations.selectors.tickets import ticket_clocks
from escalations.selectors.timeline import ticket_timeline
from escalations.services.audit import transition_label
from escalations.views.actions import get_ticket_for_user, require_available, ticket_form_page


@require_GET
def ticket_detail(request, number: int):
    ticket = get_ticket_for_user(request, number)
    context = {
        "ticket": ticket,
        "transitions": list(ticket.get_available_user_status_transitions(request.user)),
        "timeline": ticket_timeline(ticket),
        "clocks": ticket_clocks(ticket),
        "note_form": NoteForm(),
        "panels": ticket_panels(ticket, request.user),
    }
    return render(request, "escalations/ticket_detail.html", context)


@require_GET
def ticket_clocks_fragment(request, number: int):
    """The SLA clocks card alone, which the ticket page re-fetches so countdowns stay current without a reload."""
    ticket = get_ticket_for_user(request, number)
    return render(request, "escalations/_clocks.html", {"ticket": ticket, "clocks": ticket_clocks(ticket)})


@require_http_methods(["GET", "POST"])
def ticket_transition(request, number: int, transition: str):
    ticket = get_ticket_for_user(request, number)
    if transition not in services.SIMPLE_TRANSITIONS:
        raise Http404("No such action")
    require_available(request, ticket, transition)
    label = transition_label(getattr(ticket, transition)).capitalize()
    form = TRANSITION_FORMS[transition](request.POST or None)
    service = services.SIMPLE_TRANSITIONS[transition]
    return ticket_form_page(
        request,
        ticket,
        form=form,
        label=label,
        action=lambda: service(ticket=ticket, by=request.user, **form.cleaned_data),
        success=lambda done: f"{done.reference}: {done.get_status_display().lower()}.",
    )


@require_POST
def ticket_add_note(request, number: int):
    ticket = get_ticket_for_user(request, number)
    form = NoteForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Write something: an empty note helps nobody.")
        services.ticket_add_note(ticket=ticket, by=request.user, **form.cleaned_data)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Note added.")
    return redirect("escalations:ticket", number=number)


@require_http_methods(["GET", "POST"])
def ticket_clear_flag(request, number: int):
    ticket = get_ticket_for_user(request, number)
    form = ReasonForm(request.POST or None)
    return ticket_form_page(
        request,
        ticket,
        form=form,
        label="Clear the manager flag",
        action=lambda: services.ticket_clear_flag(ticket=ticket, by=request.user, **form.cleaned_data),
        success=lambda done: f"{done.reference}: flag cleared.",
    )


@permission_required("escalations.add_ticket", raise_exception=True)
@require_http_methods(["GET", "POST"])
def ticket_create(request):
    form = TicketForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = services.ticket_create(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, f"{ticket.reference} opened at {ticket.tier.label}.")
            return redirect("escalations:ticket", number=ticket.number)
    return render(request, "escalations/ticket_form.html", {"form": form})
