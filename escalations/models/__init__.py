from escalations.models.calendar import Calendar, Holiday
from escalations.models.clock import ClockLease, Notification, Profile, SlaEvent, WebhookEndpoint
from escalations.models.config import Account, EscalationCriterion, NotificationChannel, Severity, Tier
from escalations.models.escalation import (
    BounceRefusal,
    Escalation,
    EscalationAttachment,
    EscalationNote,
    OwnershipTransfer,
    TicketNote,
)
from escalations.models.outbox import DeskEvent, DeskEventReceipt
from escalations.models.ticket import Ticket

__all__ = [
    "Account",
    "BounceRefusal",
    "Calendar",
    "ClockLease",
    "DeskEvent",
    "DeskEventReceipt",
    "Escalation",
    "EscalationAttachment",
    "EscalationCriterion",
    "EscalationNote",
    "Holiday",
    "Notification",
    "NotificationChannel",
    "OwnershipTransfer",
    "Profile",
    "Severity",
    "SlaEvent",
    "Ticket",
    "TicketNote",
    "Tier",
    "WebhookEndpoint",
]
