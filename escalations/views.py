from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods
from django_q.brokers import get_broker

from escalations import selectors, services
from escalations.forms import TRANSITION_FORMS, TicketForm
from escalations.models import Ticket

QUEUE_PAGE_SIZE = 50


def _get_ticket_for_user(request, number: int) -> Ticket:
    ticket = selectors.ticket_detail(user=request.user, number=number)
    if ticket is None:
        raise Http404("No such ticket")
    return ticket


def _error_messages(error: Exception) -> list[str]:
    return getattr(error, "messages", None) or [str(error)]


@require_GET
def queue(request):
    scopes = selectors.queue_scopes_for(request.user)
    scope = request.GET.get("scope", "mine")
    if scope not in scopes:
        scope = "mine"
    tickets = selectors.ticket_queue(user=request.user, scope=scope)
    page = Paginator(tickets, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "escalations/queue.html", {"page": page, "scope": scope, "scopes": scopes})


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


@login_not_required
@require_GET
def healthz(request):
    """Database and task-broker status for load balancers and monitoring."""
    checks = {"database": _check(lambda: connection.ensure_connection()), "broker": _check(_ping_broker)}
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)


def _ping_broker() -> None:
    broker = get_broker()
    broker.ping()
    broker.queue_size()


def _check(probe) -> str:
    try:
        probe()
    except Exception as error:  # a health check reports every failure instead of raising it
        return f"error: {error.__class__.__name__}"
    return "ok"
