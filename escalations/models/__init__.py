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
    "Calendar",
    "ClockLease",
    "Holiday",
    "DeskEvent",
    "DeskEventReceipt",
    "Notification",
    "Profile",
    "SlaEvent",
    "WebhookEndpoint",
    "BounceRefusal",
    "Escalation",
    "EscalationAttachment",
    "EscalationCriterion",
    "EscalationNote",
    "NotificationChannel",
    "OwnershipTransfer",
    "Severity",
    "Ticket",
    "TicketNote",
    "Tier",
]
