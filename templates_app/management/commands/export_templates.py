from django.core.management.base import BaseCommand

from templates_app.services.transfer import export_templates


class Command(BaseCommand):
    help = "Print every guided template's current version (the active one, else the newest) as YAML."

    def handle(self, *args, **options) -> None:
        self.stdout.write(export_templates(), ending="")
