from django.apps import AppConfig


class EscalationsConfig(AppConfig):
    name = "escalations"
    verbose_name = "Escalations"

    def ready(self) -> None:
        from django_q.signals import post_spawn

        from escalations import signals  # noqa: F401 - connects the receivers
        from escalations.tasks import start_clock

        post_spawn.connect(start_clock, dispatch_uid="escalations.start_clock")
