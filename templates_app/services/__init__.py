"""The business actions of guided templates. Views, commands and the desk's events call these."""

from templates_app.services.execution import run_event
from templates_app.services.governance import (
    template_create,
    template_rollback,
    version_activate,
    version_approve,
    version_new_draft,
    version_reject,
    version_retire,
    version_submit,
    version_update,
)
from templates_app.services.inbound import inbound_event_receive, inbound_rate_take, inbound_source_save
from templates_app.services.records import checklist_item_sign, inbound_event_record

__all__ = [
    "checklist_item_sign",
    "inbound_event_receive",
    "inbound_event_record",
    "inbound_rate_take",
    "inbound_source_save",
    "run_event",
    "template_create",
    "template_rollback",
    "version_activate",
    "version_approve",
    "version_new_draft",
    "version_reject",
    "version_retire",
    "version_submit",
    "version_update",
]
