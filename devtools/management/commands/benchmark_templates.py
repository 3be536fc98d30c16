from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from devtools.management.benchmark import Check, Row, add_target_arguments, conclude, median, targets_with, timed
from devtools.volume import VolumeConfigMissing, seed_volume
from escalations.models import Ticket
from templates_app.domain.conditions import clean_conditions
from templates_app.models import TemplateVersion
from templates_app.simulation import replay

# The seed's "High-value customer incident escalation", on every change of a ticket (the largest event stream).
CONDITIONS = {
    "groups": [
        {
            "rules": [
                {"field": "critical", "op": "eq", "value": "yes"},
                {"field": "account_tier", "op": "eq", "value": "enterprise"},
            ]
        }
    ]
}
STEPS = [{"kind": "assign", "role": "primary", "target": "oncall", "tier": 3}]


class Command(BaseCommand):
    help = (
        "Time the simulation of one version over the tickets of the last N days, adding tickets with seed_volume "
        "until there are at least --tickets of them. Prints every repeat and the min/median; exits 1 when the "
        "median misses its target (2 s over 10,000 tickets)."
    )
    targets = {"simulation_s": 2.0}

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tickets", type=int, default=10_000)
        parser.add_argument("--days", type=int, default=30)
        parser.add_argument("--repeat", type=int, default=5)
        parser.add_argument("--event", default="updated", choices=["created", "updated", "sla_breached", "ack_timeout"])
        parser.add_argument("--delay", type=int, default=None, help="Minutes the version waits after its event.")
        add_target_arguments(parser, self.targets)

    def handle(self, *args, tickets: int, days: int, repeat: int, event: str, delay: int | None, **options):
        if tickets < 1 or days < 1 or repeat < 1:
            raise CommandError("--tickets, --days and --repeat must be at least 1.")
        targets = targets_with(self.targets, options["target_overrides"])
        since = timezone.now() - timedelta(days=days)
        missing = tickets - Ticket.objects.filter(created_at__gte=since).count()
        if missing > 0:
            try:
                seed_volume(tickets=missing, days=days, progress=self.stdout.write)
            except VolumeConfigMissing as exc:
                raise CommandError(str(exc)) from exc
        version = TemplateVersion(
            event=event, delay_minutes=delay, conditions=clean_conditions(CONDITIONS), steps=STEPS
        )
        timings = []
        for number in range(1, repeat + 1):
            milliseconds, result = timed(
                lambda: replay(version, since=timezone.now() - timedelta(days=days), until=timezone.now())
            )
            timings.append(milliseconds / 1000)
            self.stdout.write(
                f"run {number}: {result.events} {event} events of the last {days} days, "
                f"{len(result.matches)} matches, {timings[-1]:.2f} s"
            )
        measure = f"template simulation · {event} events of {days} days, ≥ {tickets} tickets"
        check = Check("median", median(timings), targets["simulation_s"], unit="s")
        figures = f"min {min(timings):.2f} s · {result.events} events, {len(result.matches)} matched"
        row = Row("benchmark_templates", measure, [check], figures)
        conclude(self, [row], options["json_out"])
