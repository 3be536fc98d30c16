"""What an outside system posts to /templates/inbound/<source>/: a JSON event, checked before anything is written.

    {"event_id": "crm-8841", "name": "lead_rejected", "source": "paid_campaign", "ticket": "SUP-10042"}

or, instead of "ticket", "new_ticket": {"account", "title", "category", "severity"[, "description", "requester"]}
to open a ticket for it. Every problem is reported at once, in words the sending team can act on.
"""

import json
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from escalations.models import Account, Severity, Ticket
from escalations.validators import refuse_nul_characters, whole_number

LIMITS = {"event_id": 100, "name": 100, "source": 100}
NEW_TICKET_TEXT = {"title": 200, "description": 5000, "requester": 200, "account": 200}
REQUIRED_FOR_NEW_TICKET = ("title", "account")


@dataclass(frozen=True)
class InboundPayload:
    event_id: str
    name: str
    source: str
    ticket: Ticket | None
    new_ticket: dict | None


def _text(data: dict, key: str, limit: int, errors: list[str], *, where: str = "", required: bool = True) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        errors.append(f"{where}{key} must be a string.")
        return ""
    value = value.strip()
    if required and not value:
        errors.append(f"{where}{key} is required.")
    elif len(value) > limit:
        errors.append(f"{where}{key} is longer than {limit} characters.")
    try:
        return refuse_nul_characters(value, f"{where}{key}")
    except ValidationError as error:
        errors.extend(error.messages)
        return ""


def _ticket(reference, errors: list[str]) -> Ticket | None:
    number = whole_number(str(reference).removeprefix(Ticket.REFERENCE_PREFIX))
    ticket = Ticket.objects.filter(number=number).first() if number is not None else None
    if ticket is None:
        errors.append(f"ticket: there is no ticket “{reference}”.")
    return ticket


def _new_ticket(data, errors: list[str]) -> dict | None:
    if not isinstance(data, dict):
        errors.append("new_ticket must be an object with account, title, category and severity.")
        return None
    where = "new_ticket."
    fields = {
        key: _text(data, key, limit, errors, where=where, required=key in REQUIRED_FOR_NEW_TICKET)
        for key, limit in NEW_TICKET_TEXT.items()
    }
    account = Account.objects.filter(name=fields["account"]).first() if fields["account"] else None
    if fields["account"] and account is None:
        errors.append(f"{where}account: no account is called “{fields['account']}”.")
    code = data.get("severity")
    severity = Severity.objects.filter(code=code).first() if code in Severity.Code.values else None
    if severity is None:
        errors.append(f"{where}severity: use one of {', '.join(Severity.Code.values)}.")
    if data.get("category") not in Ticket.Category.values:
        errors.append(f"{where}category: use one of {', '.join(Ticket.Category.values)}.")
    return fields | {"account": account, "severity": severity, "category": data.get("category")}


def parse(body: bytes) -> InboundPayload:
    """The posted event, validated; ValidationError with every problem otherwise."""
    try:
        data = json.loads(body or b"")
    except (ValueError, UnicodeDecodeError):
        raise ValidationError("The body is not valid JSON.") from None
    except RecursionError:
        raise ValidationError("The body is nested too deeply to be an event.") from None
    if not isinstance(data, dict):
        raise ValidationError("The body must be a JSON object.")
    errors: list[str] = []
    text = {key: _text(data, key, limit, errors, required=key != "source") for key, limit in LIMITS.items()}
    ticket = new_ticket = None
    if ("ticket" in data) == ("new_ticket" in data):
        errors.append("Give either ticket (a reference such as SUP-10042) or new_ticket, not both.")
    elif "ticket" in data:
        ticket = _ticket(data["ticket"], errors)
    else:
        new_ticket = _new_ticket(data["new_ticket"], errors)
    if errors:
        raise ValidationError(errors)
    return InboundPayload(text["event_id"], text["name"], text["source"], ticket, new_ticket)
