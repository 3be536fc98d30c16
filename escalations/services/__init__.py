"""The desk's business actions. Views, the admin and tasks call these; nothing else changes a ticket."""

from escalations.services.audit import TicketConflict
from escalations.services.automation import (
    ticket_escalate_automated,
    ticket_set_acknowledgement_deadline,
    ticket_set_severity,
    ticket_set_title_prefix,
)
from escalations.services.escalation import DEESCALATION_REASONS, PingPongRefused, ticket_deescalate, ticket_escalate
from escalations.services.ownership import ticket_add_note, ticket_transfer
from escalations.services.tickets import (
    SIMPLE_TRANSITIONS,
    ticket_acknowledge,
    ticket_assign,
    ticket_clear_flag,
    ticket_close,
    ticket_create,
    ticket_reopen,
    ticket_resolve,
    ticket_resume,
    ticket_wait_on_customer,
)

__all__ = [
    "DEESCALATION_REASONS",
    "SIMPLE_TRANSITIONS",
    "PingPongRefused",
    "TicketConflict",
    "ticket_acknowledge",
    "ticket_add_note",
    "ticket_assign",
    "ticket_clear_flag",
    "ticket_close",
    "ticket_create",
    "ticket_deescalate",
    "ticket_escalate",
    "ticket_escalate_automated",
    "ticket_reopen",
    "ticket_resolve",
    "ticket_resume",
    "ticket_set_acknowledgement_deadline",
    "ticket_set_severity",
    "ticket_set_title_prefix",
    "ticket_transfer",
    "ticket_wait_on_customer",
]
