from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from escalations import services
from escalations.forms.tickets import TRANSITION_FORMS, TicketForm
from escalations.models import Ticket
from escalations.selectors import tickets as selectors


def _get_ticket_for_user(request, number: int) -> Ticket:
    ticket = selectors.ticket_detail(user=request.user, number=number)
    if ticket is None:
        raise Http404("No such ticket")
    return ticket


def _error_messages(error: Exception) -> list[str]:
    return getattr(error, "messages", None) or [str(error)]


@require_GET
def ticket_detail(request, number: int):
    ticket = _get_ticket_for_user(request, number)
    transitions = list(ticket.get_available_user_status_transitions(request.user))
    context = {"ticket": ticket, "transitions": transitions, "timeline": selectors.ticket_timeline(ticket)}
    return render(request, "escalations/ticket_detail.html", context)


@require_http_methods(["GET", "POST"])
def ticket_transition(request, number: int, transition: str):
    ticket = _get_ticket_for_user(request, number)
    if transition not in services.TICKET_TRANSITIONS:
        raise Http404("No such action")
    allowed = {t.name: t for t in ticket.get_available_user_status_transitions(request.user)}
    if request.method == "GET" and transition not in allowed:
        raise PermissionDenied(f"You cannot {transition.replace('_', ' ')} {ticket.reference} now.")
    form = TRANSITION_FORMS[transition](request.POST or None)
    if request.method == "POST" and form.is_valid():
        if request.POST.get("seen_status") != ticket.status:
            messages.error(request, str(services.TicketConflict(ticket)))
            return redirect("escalations:ticket", number=number)
        try:
            services.TICKET_TRANSITIONS[transition](ticket=ticket, by=request.user, **form.cleaned_data)
        except (ValidationError, services.TicketConflict) as error:
            form.add_error(None, _error_messages(error))
        else:
            messages.success(request, f"{ticket.reference}: {ticket.get_status_display().lower()}.")
            return redirect("escalations:ticket", number=number)
    label = allowed[transition].custom["label"] if transition in allowed else transition
    context = {"ticket": ticket, "form": form, "label": label}
    return render(request, "escalations/ticket_transition.html", context)


@permission_required("escalations.add_ticket", raise_exception=True)
@require_http_methods(["GET", "POST"])
def ticket_create(request):
    form = TicketForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = services.ticket_create(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, _error_messages(error))
        else:
            messages.success(request, f"{ticket.reference} opened at {ticket.tier.label}.")
            return redirect("escalations:ticket", number=ticket.number)
    return render(request, "escalations/ticket_form.html", {"form": form})
