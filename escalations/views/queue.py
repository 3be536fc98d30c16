from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from escalations.selectors import queue as selectors

QUEUE_PAGE_SIZE = 50


@require_GET
def queue(request):
    scopes = selectors.queue_scopes_for(request.user)
    scope = request.GET.get("scope", "mine")
    if scope not in scopes:
        scope = "mine"
    tickets = selectors.ticket_queue(user=request.user, scope=scope)
    page = Paginator(tickets, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "escalations/queue.html", {"page": page, "scope": scope, "scopes": scopes})
