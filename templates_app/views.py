from django.shortcuts import render
from django.views.decorators.http import require_GET

from templates_app import selectors


@require_GET
def policy(request):
    context = {"tiers": selectors.escalation_ladder(), "severities": selectors.severities()}
    return render(request, "templates_app/policy.html", context)
