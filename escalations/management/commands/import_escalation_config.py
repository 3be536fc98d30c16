from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from escalations.services.configuration import DEFAULT_CONFIG_PATH, EscalationConfigInvalid, escalation_config_import


class Command(BaseCommand):
    help = "Make the escalation tiers and severities match a YAML file, all or nothing; without FILE, load the default."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", type=Path, help=f"YAML file; defaults to {DEFAULT_CONFIG_PATH.name}")

    def handle(self, *args, file: Path | None, **options) -> None:
        path = file or DEFAULT_CONFIG_PATH
        try:
            document = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        source = str(file) if file else DEFAULT_CONFIG_PATH.name
        try:
            summary = escalation_config_import(document=document, source=source)
        except EscalationConfigInvalid as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Imported escalation config from {source}: {summary}."))
