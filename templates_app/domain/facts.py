"""The facts a trigger's conditions are checked against, for a live ticket or for a ticket as its history stored it.

Live execution and simulation build facts through the same function, so they cannot disagree on what matched.
"""

from datetime import datetime

from escalations.models import Account, Ticket

PRIORITY = {"P0": "High", "P1": "High", "P2": "Normal", "P3": "Low"}


def account_facts(account: Account) -> dict:
    return {
        "account_tier": account.tier,
        "account_arr": account.arr,
        "account_health": account.health_score,
        "account_name": account.name,
    }


def facts(
    *,
    severity: str,
    tier: int,
    category: str,
    status: str,
    title: str,
    has_owner: bool,
    resolution_due: datetime,
    at: datetime,
    account: dict,
    inbound: dict | None = None,
) -> dict:
    late = max(int((at - resolution_due).total_seconds() // 60), 0) if resolution_due else 0
    return {
        "severity": severity,
        "critical": severity in ("P0", "P1"),
        "priority": PRIORITY.get(severity, "Low"),
        "tier": tier,
        "category": category,
        "status": status,
        "title": title,
        "has_owner": has_owner,
        "minutes_past_due": late,
        "event_name": (inbound or {}).get("name", ""),
        "event_source": (inbound or {}).get("source", ""),
        **account,
    }


def ticket_facts(ticket: Ticket, *, at: datetime, inbound: dict | None = None) -> dict:
    return facts(
        severity=ticket.severity.code,
        tier=ticket.tier.level,
        category=ticket.category,
        status=ticket.status,
        title=ticket.title,
        has_owner=ticket.primary_owner_id is not None,
        resolution_due=ticket.resolution_due,
        at=at,
        account=account_facts(ticket.account),
        inbound=inbound,
    )
