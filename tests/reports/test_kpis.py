"""Each KPI on a hand-built data set whose answer is known."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group

from escalations import services
from escalations.models import Account, Escalation, Ticket
from escalations.services import clock
from reporting.filters import CURRENT, PREVIOUS
from reporting.selectors import accounts, escalations, overview, quality, sla
from reporting.selectors.common import acknowledgements
from reporting.sql import percentile_rows, percentiles_by
from tests.conftest import _person
from tests.reports.conftest import at, period

pytestmark = pytest.mark.django_db


def test_three_acknowledgements_give_their_median_and_interpolated_p90(story):
    for minutes in (10, 20, 60):
        story.acknowledged(minutes)
    figures = overview.overview_figures(period())[CURRENT]
    assert figures["acknowledged"] == 3
    assert figures["ack_median"] == pytest.approx(20 * 60, abs=0.01)
    assert figures["ack_p90"] == pytest.approx((20 + 0.8 * 40) * 60, abs=0.01)  # rank 2.8: 80% of the way to 60 min


def test_every_assignment_counts_once_even_after_an_escalation(story, desk):
    ticket = story.acknowledged(30)
    ticket = story.escalated(ticket, 40)
    story.acknowledge(ticket, 50, desk.l2_agent)
    with at(55):
        services.ticket_wait_on_customer(ticket=Ticket.objects.get(pk=ticket.pk), by=desk.l2_agent, reason="Logs?")
    rows = sla.acknowledgement_times(period())["tier"]
    assert [(row["label"], row["count"], round(row["median"])) for row in rows] == [
        (str(desk.l1), 1, 1800),
        (str(desk.l2), 1, 600),
    ]


def test_percentiles_of_an_even_count_interpolate_between_the_middle_two(story):
    for minutes in (10, 20, 30, 70):
        story.acknowledged(minutes)
    [row] = percentile_rows(acknowledgements(period()), value="seconds")
    assert (row["count"], row["median"], row["p90"]) == (
        4,
        pytest.approx(1500),
        pytest.approx((30 + 0.7 * 40) * 60),
    )  # rank 3.7


def test_opened_resolved_and_time_to_resolution_per_period(story):
    first = story.acknowledged(5)
    second = story.acknowledged(5)
    story.resolved(first, 60)
    story.resolved(second, 180)
    story.opened(-2 * 24 * 60)  # two days earlier: the previous period
    figures = overview.overview_figures(period())
    assert (figures[CURRENT]["opened"], figures[PREVIOUS]["opened"]) == (2, 1)
    assert figures[CURRENT]["resolved"] == 2
    assert figures[CURRENT]["resolution_median"] == pytest.approx(120 * 60)


def test_sla_compliance_counts_met_and_breached_and_leaves_pending_tickets_out(story):
    story.acknowledged(30)  # first response met (4 h)
    story.acknowledged(5 * 60)  # first response after 5 h: breached
    story.opened(0)  # nobody answered, and the clock has not stamped a breach: not counted either way
    figures = overview.overview_figures(period())[CURRENT]
    assert (figures["fr_met"], figures["fr_breached"]) == (1, 1)


def test_a_reopened_ticket_keeps_its_first_resolution_clock(story, desk):
    ticket = story.acknowledged(10)
    ticket = story.resolved(ticket, 10 * 60)
    with at(11 * 60):
        ticket = services.ticket_reopen(ticket=ticket, by=desk.manager, reason="Came back")
    story.resolved(ticket, 30 * 60)  # 30 h after creation: past the 24 h target counted from creation
    figures = overview.overview_figures(period())[CURRENT]
    assert (figures["res_met"], figures["res_breached"]) == (0, 1)


def test_escalation_rate_by_tier_divides_escalated_by_handled(story, desk):
    tickets = [story.acknowledged(5) for _ in range(4)]
    story.escalated(tickets[0], 30)
    rows = {row["tier"].level: (row["handled"], row["escalated"]) for row in escalations.rate_by_tier(period())}
    assert rows == {1: (4, 1), 2: (1, 0)}
    figures = overview.overview_figures(period())[CURRENT]
    assert (figures["escalated"], figures["opened"]) == (1, 4)


def test_escalation_rate_by_category_and_by_agent(story, desk):
    billing = story.acknowledged(5, category=Ticket.Category.BILLING)
    story.acknowledged(5, category=Ticket.Category.BILLING)
    story.acknowledged(5)
    story.escalated(billing, 20)
    by_category = {row["category"]: (row["opened"], row["escalated"]) for row in escalations.rate_by_category(period())}
    assert by_category == {"billing": (2, 1), "authentication": (1, 0)}
    by_agent = {row["name"]: (row["handled"], row["escalated"]) for row in escalations.rate_by_agent(period())}
    assert by_agent == {"alice.l1": (3, 1)}


def test_time_to_escalate_handoffs_de_escalations_and_kinds(story, desk):
    ticket = story.acknowledged(5)
    ticket = story.escalated(ticket, 45)
    ticket = story.acknowledge(ticket, 50, desk.l2_agent)
    with at(70):
        desk.deescalate(Ticket.objects.get(pk=ticket.pk), desk.l2_agent, desk.l1)
    story.acknowledged(5)
    [row] = escalations.time_to_escalate(period())
    assert (row["severity_code"], row["count"], row["median"]) == ("P3", 1, pytest.approx(45 * 60))
    assert {row["handoffs"]: row["tickets"] for row in escalations.handoffs_distribution(period())} == {0: 1, 2: 1}
    assert escalations.movement(period()) == {"opened": 2, "escalated": 1, "deescalated": 1}
    kinds = {row["kind"]: row["escalations"] for row in escalations.kinds(period())}
    assert set(kinds) == set(Escalation.Kind.values)  # every kind listed, a new one would be too
    assert (kinds["manual"], kinds["deescalation"], kinds["sla"]) == (1, 1, 0)


def _escalated_and_sent_back(story, desk, *, note_by=None):
    ticket = story.escalated(story.acknowledged(5), 30)
    story.acknowledge(ticket, 35, desk.l2_agent)
    if note_by:
        with at(45):
            services.ticket_add_note(ticket=ticket, by=note_by, visibility="internal", body="Checked the logs")
    with at(60):
        desk.deescalate(Ticket.objects.get(pk=ticket.pk), desk.l2_agent, desk.l1)


def test_over_escalation_is_an_escalation_undone_within_two_hours_without_new_work(story, desk):
    _escalated_and_sent_back(story, desk)
    _escalated_and_sent_back(story, desk, note_by=desk.l1_agent)  # the escalating agent's own note is no new work
    _escalated_and_sent_back(story, desk, note_by=desk.l2_agent)  # the receiving tier worked it: not over-escalated
    kept = story.escalated(story.acknowledged(5), 30)
    story.acknowledge(kept, 35, desk.l2_agent)
    [row] = quality.over_escalation(period(), "agent")
    assert (row["by__username"], row["escalations"], row["over"]) == ("alice.l1", 4, 2)


def test_under_escalation_is_a_breach_before_the_first_escalation(story, desk):
    late = story.acknowledged(5 * 60)  # first response breached at 4 h
    Ticket.objects.filter(pk=late.pk).update(first_response_breached_at=late.first_response_due)
    story.escalated(Ticket.objects.get(pk=late.pk), 6 * 60)
    story.escalated(story.acknowledged(5), 30)
    [row] = quality.under_escalation(period(), "tier")
    assert (row["from_tier__level"], row["escalated"], row["late"]) == (1, 2, 1)


def test_failovers_are_counted_and_attributed_to_who_missed_the_acknowledgement(story, desk):
    backup = _person("ben.l1", Group.objects.get(name="Agents"), desk.l1.team)
    ticket = story.opened(0)
    with at(1):
        ticket = services.ticket_assign(ticket=ticket, by=desk.manager, owner=desk.l1_agent)
    Ticket.objects.filter(pk=ticket.pk).update(backup_owner=backup)
    with time_machine.travel(ticket.acknowledgement_due + timedelta(seconds=1), tick=False):
        assert clock.sweep() >= 1
    assert overview.overview_figures(period())[CURRENT]["failovers"] == 1
    assert sla.failovers_by_owner(period())[desk.l1_agent.pk]["failovers"] == 1


def test_accounts_with_repeat_escalations_sorted_by_risk(story, desk):
    sick = Account.objects.create(name="Sick Co", tier=Account.AccountTier.PREMIUM, arr=50_000, health_score=30)
    for account in (desk.acme, desk.acme, sick, sick):
        story.escalated(story.acknowledged(5, account=account), 30)
    story.escalated(story.acknowledged(5, account=Account.objects.create(name="Once Ltd")), 30)
    rows = accounts.repeat_escalations(period(), at_least=2)
    assert [(row["account__name"], row["escalation_count"], row["risk"]) for row in rows] == [
        ("Sick Co", 2, 2 * 71),
        ("Acme Corp", 2, 2 * 29),
    ]


def test_compliance_by_severity_and_account_tier(story, desk):
    story.acknowledged(5, severity=desk.p2, owner=desk.l2_agent)
    story.acknowledged(5 * 60)
    by_severity = {
        row["severity__code"]: (row["fr_met"], row["fr_breached"]) for row in sla.compliance_by(period(), "severity")
    }
    assert by_severity == {"P2": (1, 0), "P3": (0, 1)}
    [row] = sla.compliance_by(period(), "account_tier")
    assert (row["account__tier"], row["fr_met"], row["fr_breached"]) == ("enterprise", 1, 1)


def test_several_groupings_at_once_match_one_grouping_at_a_time(story, desk):
    story.acknowledged(10)
    second = story.acknowledged(20)
    story.acknowledge(story.escalated(second, 30), 60, desk.l2_agent)
    rows = acknowledgements(period())
    together = percentiles_by(rows, value="seconds", columns=["tier_id", "owner"])
    for column in ("tier_id", "owner"):
        alone = {
            row[column]: (row["count"], row["median"], row["p90"])
            for row in percentile_rows(rows, value="seconds", group_by=[column])
        }
        assert {row["key"]: (row["count"], row["median"], row["p90"]) for row in together[column]} == alone
    assert {row["key"]: row["count"] for row in together["owner"]} == {desk.l1_agent.pk: 2, desk.l2_agent.pk: 1}
