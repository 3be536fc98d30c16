"""What every figure means, in words shown on the page beside it (a footnote and a tooltip)."""

from reporting.selectors.quality import OVER_ESCALATION_WINDOW

HOURS = int(OVER_ESCALATION_WINDOW.total_seconds() // 3600)

DEFINITIONS = {
    "Opened": "Tickets created in the period (filters apply to the ticket's current tier, severity, account, "
    "category and primary owner).",
    "Resolved": "Tickets whose resolution falls in the period, whenever they were opened.",
    "Escalation rate": "Share of the tickets opened in the period escalated up at least once (any kind but "
    "de-escalation).",
    "First-response compliance": "Of the tickets opened in the period whose first response is settled: met ÷ "
    "(met + breached). Met: first acknowledgement or public reply by the deadline computed from the original "
    "creation time and never stamped breached. Tickets still inside their window are not counted.",
    "Resolution compliance": "Of the tickets opened in the period whose resolution is settled: resolved by the "
    "resolution deadline (from the original creation time: reopening never restarts the clock) ÷ (met + breached). "
    "Breached: stamped breached by the SLA clock, or resolved after the deadline.",
    "Time to acknowledge": "Assignment → acknowledgement, for every acknowledged assignment (first assignment, "
    "after each escalation, transfer and failover) of the tickets opened in the period, read from the ticket "
    "history. Median and 90th percentile (interpolated, as PostgreSQL's percentile_cont).",
    "Time to resolution": "Creation → resolution in calendar time, for the tickets resolved in the period. "
    "Median and 90th percentile.",
    "Breaches": "Tickets opened in the period that breached their first-response or their resolution deadline.",
    "Failovers": "Acknowledgement timeouts the SLA clock acted on (failover to the backup, escalation owner or "
    "team queue), on tickets opened in the period.",
    "Escalation rate by tier": "Tickets escalated up out of the tier ÷ tickets handled at the tier (opened at it, "
    "or moved into it), for tickets opened in the period.",
    "Escalation rate by category": "Tickets of the category escalated up at least once ÷ tickets of the category "
    "opened in the period.",
    "Escalation rate by agent": "Tickets the agent escalated up ÷ tickets the agent handled (acknowledged an "
    "assignment of), for tickets opened in the period.",
    "Time to escalate": "Creation → first upward escalation, for the escalated tickets opened in the period.",
    "Handoffs per ticket": "Tier moves (escalations and de-escalations) plus primary-ownership transfers "
    "(failovers included) per ticket opened in the period.",
    "De-escalation rate": "Tickets de-escalated at least once ÷ tickets escalated, opened in the period.",
    "Bounces": "Moves back to a tier the ticket had already left, refused by the ping-pong guard.",
    "Escalation kinds": "Tier moves of tickets opened in the period by kind; every kind the desk knows is listed.",
    "Compliance": "First-response and resolution compliance as on the overview, grouped by the ticket's current "
    "tier, severity, account tier, or the calendar its SLAs count in (severity's, else tier's, else around the "
    "clock).",
    "Breach list": "Breached tickets opened in the period, the latest resolution first: how late the first "
    "response and the resolution were, or are so far for a deadline still owed.",
    "Acknowledgements": "Time to acknowledge grouped by the tier and team the assignment was at, and by the "
    "owner who acknowledged; failovers are the clock's automatic transfers away from an owner who did not "
    "acknowledge in time.",
    "Repeat escalations": "Accounts with at least N upward escalations of tickets opened in the period. Risk = "
    "escalations × (101 − health score): more escalations and a less healthy account rank higher; ties by ARR.",
    "Over-escalation": f"Upward escalations the receiving tier undid within {HOURS} hours of arrival: it "
    "de-escalated the ticket back, or resolved it itself, that soon, without new work (nobody but the person who "
    "escalated added a note in that time). Per tier left and per person who escalated.",
    "Under-escalation": "Escalated tickets that had already breached an SLA (first response or resolution) when "
    "they were first escalated up: they waited too long. Per tier left and per person at the first escalation.",
    "Review queue": "Escalations to the top tier of tickets opened in the period with no post-escalation review "
    "yet, oldest first.",
    "Escalation reasons": "Upward escalations per month by the criterion ticked (or the kind, when no criterion "
    "applies: manager override, SLA, severity, failover).",
    "Review causes": "Post-escalation reviews per month by cause, and how many a lower tier could have solved.",
}
