"""Background work of guided templates in the django-q2 cluster. Thin: each task calls a service."""

CLOCK_LOOP_SECONDS = 75


def run_template_clock() -> int:
    """Every minute: act each second, for a little over a minute, on delayed triggers and validation windows."""
    from templates_app.services import clock

    return clock.run_template_clock(seconds=CLOCK_LOOP_SECONDS)
