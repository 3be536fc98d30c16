from django.core.management.base import BaseCommand, CommandError, CommandParser

from devtools.volume import VolumeConfigMissing, seed_volume


class Command(BaseCommand):
    help = (
        "Bulk-insert a realistic volume of tickets spread over the last N days, with their escalations, transfers, "
        "notes and history (e.g. --tickets 100000). Helper accounts and agents are reused; tickets are always added. "
        "Needs the escalation config (`manage.py import_escalation_config`)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tickets", type=int, required=True, help="How many tickets to add.")
        parser.add_argument("--days", type=float, default=90, help="Spread them over the last N days (default 90).")
        parser.add_argument("--seed", type=int, default=42, help="Random seed, for the same shape every run.")
        parser.add_argument(
            "--ticket-with-events",
            type=int,
            default=50,
            metavar="N",
            help="Make the last ticket one with exactly N timeline events, for the detail benchmark (0: none).",
        )
        parser.add_argument(
            "--no-analyze",
            action="store_false",
            dest="analyze",
            help="Skip ANALYZE after the load (SQLite then plans queries without statistics).",
        )

    def handle(self, *args, tickets: int, days: float, seed: int, ticket_with_events: int, analyze: bool, **options):
        if tickets < 1 or days <= 0 or ticket_with_events < 0:
            raise CommandError("--tickets must be at least 1, --days above 0, --ticket-with-events 0 or more.")
        try:
            summary = seed_volume(
                tickets=tickets,
                days=days,
                seed=seed,
                events=ticket_with_events,
                analyze=analyze,
                progress=self.stdout.write,
            )
        except VolumeConfigMissing as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {summary.tickets} tickets (SUP-{summary.first_number}…SUP-{summary.last_number}) over "
                f"{days:g} days in {summary.seconds:.1f} s: {summary.history} history rows, {summary.escalations} "
                f"escalations, {summary.transfers} transfers, {summary.notes} notes."
            )
        )
        if summary.events_ticket:
            self.stdout.write(f"Ticket with {ticket_with_events} timeline events: {summary.events_ticket}")
