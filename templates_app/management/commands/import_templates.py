from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from templates_app.services.transfer import import_templates


class Command(BaseCommand):
    help = (
        "Import guided templates from YAML as new drafts by a manager, all or nothing. Nothing goes live: "
        "each draft is submitted and approved by another manager as usual."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--by", required=True, help="Username of the manager the drafts are recorded as.")

    def handle(self, *args, file: Path, by: str, **options) -> None:
        manager = get_user_model().objects.filter(username=by, is_active=True).first()
        if manager is None:
            raise CommandError(f"Nobody active is called {by}.")
        try:
            drafts = import_templates(file.read_text(encoding="utf-8"), by=manager)
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        except ValidationError as exc:
            raise CommandError("\n".join(["The templates are invalid; nothing was imported:", *exc.messages])) from exc
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Imported {len(drafts)} draft(s): " + ", ".join(d.label for d in drafts)))
