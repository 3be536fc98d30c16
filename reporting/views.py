from django.shortcuts import render
from django.views.decorators.http import require_GET

from reporting import selectors


@require_GET
def overview(request):
    return render(request, "reporting/overview.html", {"tiers": selectors.workload_by_tier()})
