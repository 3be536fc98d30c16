"""Panels other apps add to the ticket page, so the desk renders with or without them installed.

An app registers a panel in its AppConfig.ready (as it adds timeline sources to `timeline.EXTRA_SOURCES`):
a template and a function of the ticket and the reader that returns the template's context.
"""

from collections.abc import Callable
from dataclasses import dataclass

from escalations.models import Ticket


@dataclass(frozen=True)
class TicketPanel:
    template: str
    context: Callable[[Ticket, object], dict]


TICKET_PANELS: list[TicketPanel] = []


def register_ticket_panel(template: str, context: Callable[[Ticket, object], dict]) -> None:
    """Add a panel once, however often the app is made ready (tests reload apps)."""
    panel = TicketPanel(template, context)
    if panel not in TICKET_PANELS:
        TICKET_PANELS.append(panel)


def ticket_panels(ticket: Ticket, user) -> list[tuple[str, dict]]:
    """Each registered panel's template and context, in the order the apps were installed."""
    return [(panel.template, panel.context(ticket, user)) for panel in TICKET_PANELS]
