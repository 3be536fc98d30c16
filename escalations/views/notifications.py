"""The in-app inbox (the bell's page) and, for managers, the deliveries that failed."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from escalations import roles
from escalations.selectors import notifications as selectors
from escalations.services import notifications
from escalations.validators import whole_number


@require_http_methods(["GET", "POST"])
def notification_inbox(request):
    """The latest in-app notifications; "Mark all read" marks everything up to the newest one the page showed."""
    if request.method == "POST":
        if (up_to := whole_number(request.POST.get("up_to", ""), digits=18)) is not None:
            marked = notifications.mark_read(user=request.user, up_to_id=up_to)
            messages.success(request, f"{marked} notification{'s' if marked != 1 else ''} marked read.")
        return redirect("escalations:notifications")
    shown = selectors.inbox(request.user)
    context = {
        "notifications": shown,
        "unread": sum(1 for item in shown if item.read_at is None),
        "up_to": max((item.pk for item in shown), default=None),
    }
    return render(request, "escalations/notifications/inbox.html", context)


@require_http_methods(["GET"])
def failed_deliveries(request):
    roles.require_manager(request.user, "see notification deliveries")
    context = {"failed": selectors.failed_deliveries(), "retrying": selectors.retrying_deliveries()}
    return render(request, "escalations/notifications/failed.html", context)


@require_POST
def notification_retry(request, pk: int):
    roles.require_manager(request.user, "retry notification deliveries")
    try:
        notifications.notification_retry(notification_id=pk, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Queued for one more attempt now.")
    return redirect("escalations:notifications_failed")
