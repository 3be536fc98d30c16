"""Report pages: parse the filter (scoped to the viewer on the server), build the tables, render or send one CSV."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from escalations import roles
from escalations.models import Escalation
from reporting import permissions, reports, services
from reporting.filters import PREVIOUS, ReportFilterForm
from reporting.forms import AccountFilterForm, DrilldownForm, ReviewForm
from reporting.selectors import reviews as review_selectors
from reporting.selectors.drilldown import METRICS, drilldown_page, drilldown_tickets

PAGES = {
    "overview": "Overview",
    "escalations": "Escalations",
    "sla": "SLA",
    "accounts": "Accounts",
    "quality": "Escalation quality",
    "reviews": "Review queues",
}
DEFAULT_AT_LEAST = 2


def _report(request, page: str, build, *, form_class=ReportFilterForm, extra: dict | None = None, status: int = 200):
    """Render the tables `build(filter, links)` makes, or one of them as CSV when ?csv=<table key> asks."""
    permissions.require_reader(request.user)
    form = form_class(request.GET, user=request.user)
    report_filter = form.report_filter()
    links = reports.TicketLinks(request.GET)
    tables = build(report_filter, links)
    wanted = request.GET.get("csv")
    if wanted:
        table = next((table for table in tables if table.key == wanted), None)
        if table is None:
            raise Http404("No such table on this page.")
        return table.csv_response()
    context = {
        "page": page,
        "pages": PAGES,
        "title": PAGES[page],
        "form": form,
        "filter": report_filter,
        "tables": tables,
        "query": request.GET.urlencode(),
        "is_manager": roles.is_manager(request.user),
    }
    template = "reporting/reviews.html" if page == "reviews" else "reporting/report.html"
    return render(request, template, context | (extra or {}), status=status)


@require_GET
def overview(request):
    return _report(request, "overview", reports.overview_tables)


@require_GET
def escalations(request):
    return _report(request, "escalations", reports.escalation_tables)


@require_GET
def sla(request):
    return _report(request, "sla", reports.sla_tables)


@require_GET
def accounts(request):
    form = AccountFilterForm(request.GET, user=request.user)
    at_least = (form.cleaned_data.get("at_least") if form.is_valid() else None) or DEFAULT_AT_LEAST

    def build(report_filter, links):
        return reports.account_tables(report_filter, links, at_least=at_least)

    return _report(request, "accounts", build, form_class=AccountFilterForm)


@require_GET
def quality(request):
    return _report(request, "quality", reports.quality_tables)


def _reviews_page(request, *, status: int = 200):
    permissions.require_reader(request.user)
    report_filter = ReportFilterForm(request.GET, user=request.user).report_filter()
    top = review_selectors.top_tier()
    waiting, queue = review_selectors.awaiting_review(report_filter, top)
    extra = {"top_tier": top, "waiting": waiting, "queue": queue, "review_form": ReviewForm()}
    return _report(request, "reviews", reports.review_tables, extra=extra, status=status)


@require_GET
def reviews(request):
    return _reviews_page(request)


@require_POST
def review_create(request, pk: int):
    """A manager records the post-escalation review of one top-tier escalation."""
    permissions.require_reader(request.user)
    escalation = get_object_or_404(Escalation.objects.select_related("ticket"), pk=pk)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.escalation_review_create(
                escalation=escalation,
                by=request.user,
                cause=form.cleaned_data["cause"],
                lower_tier_could_solve=form.cleaned_data["lower_tier_could_solve"] == "yes",
                follow_up=form.cleaned_data["follow_up"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return _reviews_page(request, status=400)
        messages.success(request, f"Review of {escalation.ticket.reference}'s escalation saved.")
        return redirect(f"{reverse('reporting:reviews')}?{request.GET.urlencode()}")
    for name, errors in form.errors.items():
        messages.error(request, f"{escalation.ticket.reference}, {form.fields[name].label or name}: {' '.join(errors)}")
    return _reviews_page(request, status=400)


@require_GET
def tickets(request):
    """The tickets behind a figure, with the report's filters and the figure's own dimension."""
    permissions.require_reader(request.user)
    form = ReportFilterForm(request.GET, user=request.user)
    report_filter = form.report_filter()
    drill = DrilldownForm(request.GET)
    dims = drill.cleaned_data if drill.is_valid() else {}
    metric = dims.get("metric") or "opened"
    previous = dims.get("which") == PREVIOUS
    page = dims.get("page") or 1
    rows, has_next = drilldown_page(drilldown_tickets(report_filter, metric=metric, dims=dims, previous=previous), page)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "pages": PAGES,
        "title": METRICS[metric][0],
        "filter": report_filter,
        "previous": previous,
        "tickets": rows,
        "page_number": page,
        "has_next": has_next,
        "query": query.urlencode(),
        "form": form,
        "figure": [(name, value) for name, value in query.items() if name not in reports.FILTER_FIELDS],
    }
    return render(request, "reporting/tickets.html", context)
