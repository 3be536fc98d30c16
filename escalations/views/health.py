from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET
from django_q.brokers import get_broker


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
