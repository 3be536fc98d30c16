from django.apps import AppConfig
from django.db.models.signals import post_migrate


class EscalationsConfig(AppConfig):
    name = "escalations"
    verbose_name = "Escalations"

    def ready(self) -> None:
        from escalations import signals  # noqa: F401 - connects the receivers
        from escalations.management import role_groups_sync

        post_migrate.connect(role_groups_sync, sender=self, dispatch_uid="escalations.role_groups_sync")
