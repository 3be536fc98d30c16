"""How every ticket form is handled: validate, refuse a stale page with 409, call one service."""

from collections.abc import Callable
from typing import TypeVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from escalations import services
from escalations.models import Ticket
from escalations.selectors import tickets as selectors

T = TypeVar("T")
CONFLICT = 409


def get_ticket_for_user(request, number: int) -> Ticket:
    ticket = selectors.ticket_detail(user=request.user, number=number)
    if ticket is None:
        raise Http404("No such ticket")
    return ticket


def require_available(request, ticket: Ticket, transition: str) -> None:
    """Only the actions allowed now for this person are offered, and only those are served.

    A post from a page rendered before the ticket changed is let through to `perform`, which answers 409:
    the action was offered when the page was drawn, and the service checks permission again anyway.
    """
    if request.method == "POST" and request.POST.get("version") != ticket.version:
        return
    if not any(t.name == transition for t in ticket.get_available_user_status_transitions(request.user)):
        raise PermissionDenied(f"You cannot {transition.replace('_', ' ')} {ticket.reference} now.")


def perform(request, ticket: Ticket, form, action: Callable[[], T]) -> tuple[T | None, int]:
    """Run `action` for a valid form on an unchanged ticket; return its result and the HTTP status to render with.

    A page rendered before someone else changed the ticket gets 409 and the form comes back
    with everything typed in it, so nothing is lost.
    """
    if request.method != "POST" or not form.is_valid():
        return None, 200
    if request.POST.get("version") != ticket.version:
        messages.error(request, str(services.TicketConflict(ticket)))
        return None, CONFLICT
    try:
        return action(), 200
    except services.TicketConflict as conflict:
        messages.error(request, str(conflict))
        return None, CONFLICT
    except ValidationError as error:
        form.add_error(None, error.messages)
        return None, 200


def ticket_form_page(
    request, ticket: Ticket, *, form, label: str, action: Callable[[], T], success: Callable[[T], str]
) -> HttpResponse:
    """The one-form action pages: on success back to the ticket with a message, else the form again."""
    result, status = perform(request, ticket, form, action)
    if result:
        messages.success(request, success(result))
        return redirect("escalations:ticket", number=ticket.number)
    return render(
        request, "escalations/ticket_transition.html", {"ticket": ticket, "form": form, "label": label}, status=status
    )
