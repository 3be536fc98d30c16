"""The seed's example templates, live on a demo desk: drafted by one demo manager, approved by the other."""

from pathlib import Path

from django.contrib.auth import get_user_model

from templates_app import services
from templates_app.models import Template
from templates_app.services import transfer

EXAMPLES = Path(__file__).with_name("guided_templates.yaml")
AUTHOR, APPROVER = "manager", "manager2"


def seed_templates() -> int:
    """Load the examples that are missing (by name) and take them through four-eyes approval; returns how many."""
    people = get_user_model().objects.filter(is_active=True)
    author, approver = people.get(username=AUTHOR), people.get(username=APPROVER)
    document = EXAMPLES.read_text()
    names = set(Template.objects.values_list("name", flat=True))
    missing = [entry for entry in transfer.entries(document) if entry.name not in names]
    drafts = transfer.import_entries(missing, by=author)
    for draft in drafts:
        submitted = services.version_submit(version=draft, by=author, note="The seed's example")
        services.version_approve(
            version=submitted,
            by=approver,
            comment="Example from the playbook, simulated on the demo desk",
            seen_hash=submitted.content_hash(),
        )
    return len(drafts)
