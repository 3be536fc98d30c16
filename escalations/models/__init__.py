from escalations.models.config import Account, EscalationCriterion, NotificationChannel, Severity, Tier
from escalations.models.escalation import (
    BounceRefusal,
    Escalation,
    EscalationAttachment,
    EscalationNote,
    OwnershipTransfer,
    TicketNote,
)
from escalations.models.ticket import Ticket

__all__ = [
    "Account",
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
