"""What an escalation hands on: a brief the receiver acts on without asking, and a draft for the customer.

Both are Markdown, rendered from templates with autoescape off because they are plain text;
pages show them escaped like any other text.
"""

from datetime import datetime

from django.template.loader import render_to_string
from django.utils import timezone

from escalations.models import Escalation


def expected_response_by(escalation: Escalation) -> datetime:
    """The new expected response time the customer is promised: the receiving tier's first-response SLA."""
    return escalation.created_at + escalation.to_tier.first_response_sla


def _context(escalation: Escalation) -> dict:
    return {
        "escalation": escalation,
        "ticket": escalation.ticket,
        "note": getattr(escalation, "note", None),
        "criteria": list(escalation.criteria.all()),
        "attachments": list(escalation.attachments.all()),
        "respond_by": timezone.localtime(expected_response_by(escalation)),
    }


def handoff_brief(escalation: Escalation) -> str:
    return render_to_string("escalations/briefs/handoff.md", _context(escalation)).strip() + "\n"


def customer_acknowledgement(escalation: Escalation) -> str:
    return render_to_string("escalations/briefs/customer_acknowledgement.md", _context(escalation)).strip() + "\n"
