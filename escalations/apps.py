from django.apps import AppConfig
from django.db.models.signals import post_migrate


class EscalationsConfig(AppConfig):
    name = "escalations"
    verbose_name = "Escalations"

    def ready(self) -> None:
        from django_q.signals import post_spawn

        from escalations import signals  # noqa: F401 - connects the receivers
        from escalations.management import role_groups_sync
        from escalations.tasks import start_clock

        post_spawn.connect(start_clock, dispatch_uid="escalations.start_clock")
        post_migrate.connect(role_groups_sync, sender=self, dispatch_uid="escalations.role_groups_sync")
