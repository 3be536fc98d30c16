from templates_app.models.governance import Template, TemplateVersion
from templates_app.models.runs import ChecklistItem, InboundEvent, TemplateRun, TicketRecord

__all__ = ["ChecklistItem", "InboundEvent", "Template", "TemplateRun", "TemplateVersion", "TicketRecord"]
