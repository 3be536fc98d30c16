from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from escalations.services.configuration import escalation_config_export


class Command(BaseCommand):
    help = "Write the escalation tiers and severities as YAML, in the format import_escalation_config reads."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", type=Path, help="where to write; standard output when omitted")

    def handle(self, *args, file: Path | None, **options) -> None:
        try:
            document = escalation_config_export()
        except ValueError as exc:
            raise CommandError(f"Cannot export the escalation config: {exc}") from exc
        if file is None:
            self.stdout.write(document, ending="")
            return
        try:
            file.write_text(document, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Cannot write {file}: {exc}") from exc
        self.stdout.write(self.style.SUCCESS(f"Wrote the escalation config to {file}."))
