from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from devtools.template_examples import APPROVER, AUTHOR, seed_templates


class Command(BaseCommand):
    help = "Load the seed's example guided templates and make them live through four-eyes approval (idempotent)."

    def handle(self, *args, **options):
        if get_user_model().objects.filter(username__in=[AUTHOR, APPROVER]).count() < 2:
            raise CommandError(
                f"The demo managers {AUTHOR} and {APPROVER} are missing: run `manage.py seed_demo` first."
            )
        self.stdout.write(f"Guided templates: {seed_templates()} example(s) added and approved.")
