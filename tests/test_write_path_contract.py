"""The single path (a service's run_transition) and the batch path (the SLA clock's Batch) write a ticket alike.

Every FSM transition runs once through each path on two tickets made the same way at the same frozen instant; the
ticket rows, the history entries, the desk events and the notifications they leave must match field by field.
"""

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import transaction
from django_fsm import ConcurrentTransition

from escalations import services
from escalations.models import DeskEvent, Notification, SlaEvent, Ticket
from escalations.services.acting import Acting, Batch, SweepContext
from escalations.services.audit import require_transition, run_transition
from escalations.services.notifications import notify
from escalations.services.writing import TicketChange, tickets_write

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
SUBJECT, BODY = "Ticket moved", "It moved while you were away"


def _new(desk) -> Ticket:
    return desk.open_ticket()


def _assigned(desk) -> Ticket:
    return services.ticket_assign(ticket=desk.open_ticket(), by=desk.manager, owner=desk.l1_agent)


def _waiting(desk) -> Ticket:
    return services.ticket_wait_on_customer(ticket=desk.working_at_l1(), by=desk.l1_agent, reason="Asked for logs")


def _resolved(desk) -> Ticket:
    return services.ticket_resolve(ticket=desk.working_at_l1(), by=desk.l1_agent, reason="Fixed")


def _working_at_l2(desk) -> Ticket:
    ticket = desk.escalate(desk.working_at_l1(), by=desk.l1_agent).ticket
    return services.ticket_acknowledge(ticket=ticket, by=desk.l2_agent)


def _no_arguments(desk) -> dict:
    return {}


# transition → (how a ticket gets to a state it may run from, its arguments)
TRANSITIONS = {
    "assign": (_new, lambda desk: {"owner": desk.l1_agent}),
    "acknowledge": (_assigned, lambda desk: {"acknowledged_by": desk.l1_agent}),
    "wait_on_customer": (lambda desk: desk.working_at_l1(), _no_arguments),
    "resume": (_waiting, _no_arguments),
    "transfer": (lambda desk: desk.working_at_l1(), lambda desk: {"owner": None}),
    "resolve": (_waiting, _no_arguments),
    "close": (_resolved, _no_arguments),
    "reopen": (_resolved, _no_arguments),
    "escalate": (_assigned, lambda desk: {"to_tier": desk.l2, "owner": desk.l2_agent}),
    "deescalate": (_working_at_l2, lambda desk: {"to_tier": desk.l1}),
}


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _single_path(ticket: Ticket, by, name: str, arguments: dict) -> None:
    def notify_owner():
        notify(ticket=ticket, subject=SUBJECT, body=BODY, recipients=[by])

    run_transition(ticket, by=by, name=name, reason=f"Contract: {name}", record=notify_owner, **arguments)


def _batch_path(ticket: Ticket, by, name: str, arguments: dict) -> None:
    """As the clock acts: tickets locked and read with the sweep's context, changed in memory, written as a batch."""
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        batch = Batch(SweepContext.load(clock=by), [locked], due=[])
        acting = Acting(batch, locked)
        acting.claim(SlaEvent.Kind.ESCALATE_AT, NOW, "contract")
        require_transition(locked, name=name, by=by)(**arguments)
        acting.record(f"Contract: {name}")
        acting.notify(SUBJECT, BODY, [by])
        batch.actions.append(acting)
        batch.write()


def _written(ticket: Ticket) -> dict:
    """What each path left for the ticket, without what tells two tickets apart (their ids and numbers)."""
    row = Ticket.objects.filter(pk=ticket.pk).values().get()
    history = Ticket.history.filter(id=ticket.pk).order_by("-history_id").values()[0]
    events = DeskEvent.objects.filter(ticket_id=ticket.pk).order_by("pk").values("event", "key", "cause", "details")
    notifications = Notification.objects.filter(ticket_id=ticket.pk).order_by("pk").values()
    return {
        "ticket": _without(row, "id", "number"),
        "history": _without(history, "history_id", "id", "number"),
        "desk events": list(events),
        "notifications": [_without(notification, "id", "ticket_id") for notification in notifications],
    }


def _without(values: dict, *names: str) -> dict:
    return {name: value for name, value in values.items() if name not in names}


def test_the_contract_covers_every_transition_of_the_ticket_state_machine():
    transitions = {transition.name for transition in Ticket._meta.get_field("status").get_all_transitions(Ticket)}
    assert set(TRANSITIONS) == transitions


@pytest.mark.parametrize("name", list(TRANSITIONS))
def test_the_single_and_the_batch_path_write_a_transition_alike(desk, frozen, name):
    reach, arguments = TRANSITIONS[name]
    single, batched = reach(desk), reach(desk)
    _single_path(single, desk.manager, name, arguments(desk))
    _batch_path(batched, desk.manager, name, arguments(desk))
    written_single, written_batched = _written(single), _written(batched)
    for part in written_single:
        assert written_batched[part] == written_single[part], part
    assert written_single["history"]["history_change_reason"] == f"Contract: {name}"
    assert written_single["history"]["history_user_id"] == desk.manager.pk
    assert written_single["desk events"][-1]["event"] == "updated"
    assert written_single["notifications"], "the owner is told in both paths"


def test_it_refuses_to_write_a_ticket_changed_since_it_was_loaded(desk):
    ticket = desk.working_at_l1()
    stale = Ticket.objects.get(pk=ticket.pk)
    services.ticket_wait_on_customer(ticket=ticket, by=desk.l1_agent, reason="Asked for logs")
    stale.flag_reason = "Stale copy"
    with pytest.raises(ConcurrentTransition), transaction.atomic():
        tickets_write([stale], [TicketChange(stale, desk.manager, "Stale edit")])
    assert Ticket.objects.get(pk=ticket.pk).flag_reason == ""
    assert not Ticket.history.filter(history_change_reason="Stale edit").exists()


def test_every_write_stamps_the_tickets_auto_now_columns_even_when_only_other_fields_are_named(desk):
    ticket = desk.working_at_l1()
    loaded_at = ticket.updated_at
    with time_machine.travel(loaded_at.replace(microsecond=0).replace(year=loaded_at.year + 1), tick=False):
        ticket.flag_reason = "Check the bounce"
        tickets_write([ticket], [TicketChange(ticket, desk.manager, "Flagged")], fields=["flag_reason"])
    stored = Ticket.objects.get(pk=ticket.pk)
    assert stored.updated_at.year == loaded_at.year + 1 and stored.flag_reason == "Check the bounce"
