from django.shortcuts import render
from django.views.decorators.http import require_GET

from escalations.forms.queue import QueueFilterForm
from escalations.selectors import queue as selectors


@require_GET
def queue(request):
    """One scope of open tickets; filters that do not validate are left out and their errors shown.

    With ?rows=1 only the table's rows are drawn: the page re-fetches them so countdowns stay current.
    """
    scopes = selectors.queue_scopes_for(request.user)
    scope = request.GET.get("scope", selectors.DEFAULT_SCOPE)
    if scope not in scopes:
        scope = selectors.DEFAULT_SCOPE
    form = QueueFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    tickets = selectors.ticket_queue(user=request.user, scope=scope, **filters)
    page = selectors.queue_page(tickets, request.GET.get("page"))
    filtered = any(value for name, value in filters.items() if name != "sort")
    context = {"page": page, "scope": scope, "scopes": scopes, "form": form, "filtered": filtered}
    template = "escalations/_queue_rows.html" if request.GET.get("rows") else "escalations/queue.html"
    return render(request, template, context)
