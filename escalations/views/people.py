from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from escalations.forms.people import AwayForm
from escalations.selectors.people import desk_people
from escalations.services.people import profile_set_away


@require_http_methods(["GET", "POST"])
def availability(request):
    """Who is away. Someone away is skipped by failover, and what awaits their acknowledgement fails over at once."""
    if request.method == "POST":
        form = AwayForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose a person and whether they are away.")
            return redirect("escalations:availability")
        person, away = form.cleaned_data["person"], form.cleaned_data["away"]
        try:
            profile_set_away(user=person, by=request.user, is_away=away)
        except PermissionDenied as refusal:
            messages.error(request, str(refusal))
            return render(request, "escalations/people/availability.html", _context(request), status=403)
        messages.success(request, f"{person.get_username()} is {'away' if away else 'available'}.")
        return redirect("escalations:availability")
    return render(request, "escalations/people/availability.html", _context(request))


def _context(request) -> dict:
    return {"people": desk_people(request.user)}
