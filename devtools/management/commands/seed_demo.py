from django.core.management.base import BaseCommand, CommandError

from devtools.demo import DEMO_PASSWORD, PEOPLE, seed_demo
from escalations.models import Tier


class Command(BaseCommand):
    help = "Create demo people, accounts and tickets in every state (idempotent)."

    def handle(self, *args, **options):
        if not Tier.objects.filter(is_active=True).exists():
            raise CommandError("No tiers configured: run `manage.py import_escalation_config` first.")
        added = seed_demo()
        self.stdout.write(
            f"Demo data: added {added['people']} people, {added['accounts']} accounts, {added['tickets']} tickets."
        )
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for person in PEOPLE:
            self.stdout.write(
                f"  {person.username:<12} {person.role}" + (f" · L{person.tier_level}" if person.tier_level else "")
            )
