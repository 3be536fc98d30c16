"""The answer to a locked-out sign-in: the desk's own sign-in page, saying why and for how long."""

from axes.helpers import get_cool_off
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import render

TOO_MANY_REQUESTS = 429


def locked_out(request, original_response=None, credentials=None):
    """django-axes calls this (AXES_LOCKOUT_CALLABLE) once a username and address have failed too often."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    context = {
        "form": AuthenticationForm(request, initial={"username": username}),
        "next": request.POST.get("next", request.GET.get("next", "")),
        "locked_out_minutes": int(get_cool_off(request).total_seconds() // 60),
    }
    return render(request, "registration/login.html", context, status=TOO_MANY_REQUESTS)
