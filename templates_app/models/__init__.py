from templates_app.models.clock import DelayedTrigger, ValidationWindow
from templates_app.models.governance import Template, TemplateVersion
from templates_app.models.inbound import InboundRateWindow, InboundSource
from templates_app.models.runs import ChecklistItem, InboundEvent, TemplateRun, TicketRecord

__all__ = [
    "ChecklistItem",
    "DelayedTrigger",
    "InboundEvent",
    "InboundRateWindow",
    "InboundSource",
    "Template",
    "TemplateRun",
    "TemplateVersion",
    "TicketRecord",
    "ValidationWindow",
]
