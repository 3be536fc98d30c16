"""The agents' queue page: scopes, filters, search, sorting, pages, the flag badge and what a page costs."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from escalations import services
from escalations.models import Account, Ticket
from escalations.templatetags.desk import sla_countdown

pytestmark = pytest.mark.django_db

# session, user, permissions, admin check, unread notifications, team ids, 3 filter choice lists, the page's rows
QUEUE_QUERIES = 10
CHOSEN_FILTER_LOOKUPS = 3  # a chosen severity, tier and owner are each looked up once to validate them


def _queue(client, user, **params):
    client.force_login(user)
    return client.get(reverse("escalations:queue"), params)


def _titles(response) -> list[str]:
    return [ticket.title for ticket in response.context["page"].tickets]


def _assigned(desk, owner, **fields) -> Ticket:
    return services.ticket_assign(ticket=desk.open_ticket(**fields), by=desk.manager, owner=owner)


def _acknowledged(desk, owner, **fields) -> Ticket:
    return services.ticket_acknowledge(ticket=_assigned(desk, owner, **fields), by=owner)


def _resolved(desk, owner, **fields) -> Ticket:
    return services.ticket_resolve(ticket=_acknowledged(desk, owner, **fields), by=owner, reason="Fixed")


def _transfer(desk, ticket: Ticket, role: str, to_owner) -> None:
    services.ticket_transfer(
        ticket=ticket,
        by=desk.manager,
        role=role,
        to_owner=to_owner,
        reason="Cover",
        expected_response=timedelta(hours=1),
    )


def test_my_tickets_are_the_open_ones_i_own_as_primary_backup_or_escalation_owner(client, desk):
    _assigned(desk, desk.l1_agent, title="Primary")
    _transfer(desk, desk.open_ticket(title="Backup"), "backup", desk.l1_agent)
    _transfer(desk, desk.open_ticket(title="Escalation"), "escalation", desk.l1_agent)
    _transfer(desk, desk.open_ticket(title="Manager's"), "escalation", desk.manager)
    _assigned(desk, desk.l2_agent, title="Bob's", severity=desk.p2)
    _resolved(desk, desk.l1_agent, title="Resolved")
    assert sorted(_titles(_queue(client, desk.l1_agent))) == ["Backup", "Escalation", "Primary"]
    assert _titles(_queue(client, desk.manager, scope="mine")) == ["Manager's"]


def test_my_teams_tiers_are_the_open_tickets_at_the_tiers_my_teams_work(client, desk):
    desk.open_ticket(title="At L1")
    _assigned(desk, desk.l2_agent, title="At L2", severity=desk.p2)
    _resolved(desk, desk.l1_agent, title="Resolved at L1")
    assert _titles(_queue(client, desk.l1_agent, scope="team")) == ["At L1"]
    assert _titles(_queue(client, desk.l2_agent, scope="team")) == ["At L2"]
    assert _titles(_queue(client, desk.manager, scope="team")) == []


def test_unassigned_is_the_open_tickets_without_a_primary_owner_in_my_tiers_or_every_tier_for_managers(client, desk):
    desk.open_ticket(title="L1 waiting")
    desk.open_ticket(title="L3 waiting", severity=desk.p0)
    _assigned(desk, desk.l1_agent, title="L1 taken")
    assert _titles(_queue(client, desk.l1_agent, scope="unassigned")) == ["L1 waiting"]
    assert sorted(_titles(_queue(client, desk.manager, scope="unassigned"))) == ["L1 waiting", "L3 waiting"]


def test_breaching_soon_is_what_falls_due_within_the_hour_or_already_has(client, desk):
    now = timezone.now()
    desk.open_ticket(title="L1 breached", created_at=now - timedelta(hours=5))
    desk.open_ticket(title="L1 due in 30 minutes", created_at=now - timedelta(hours=3, minutes=30))
    desk.open_ticket(title="L1 due in 2 hours", created_at=now - timedelta(hours=2))
    _acknowledged(desk, desk.l1_agent, title="L1 answered, resolution due later", created_at=now - timedelta(hours=5))
    desk.open_ticket(title="L3 breached", severity=desk.p0, created_at=now - timedelta(hours=3))
    assert _titles(_queue(client, desk.l1_agent, scope="breaching")) == ["L1 breached", "L1 due in 30 minutes"]
    assert _titles(_queue(client, desk.manager, scope="breaching")) == [
        "L3 breached",
        "L1 breached",
        "L1 due in 30 minutes",
    ]


def test_all_open_is_every_open_ticket_for_managers(client, desk):
    desk.open_ticket(title="At L1")
    desk.open_ticket(title="At L3", severity=desk.p0)
    _resolved(desk, desk.l1_agent, title="Resolved")
    response = _queue(client, desk.manager, scope="all")
    assert sorted(_titles(response)) == ["At L1", "At L3"]
    assert "All open" in response.content.decode()


def test_agents_asking_for_all_open_get_their_own_tickets(client, desk):
    desk.open_ticket(title="Someone else's", severity=desk.p0)
    _assigned(desk, desk.l1_agent, title="Mine")
    response = _queue(client, desk.l1_agent, scope="all")
    assert response.context["scope"] == "mine"
    assert "all" not in response.context["scopes"]
    assert "All open" not in response.content.decode()
    assert _titles(response) == ["Mine"]


@pytest.fixture
def three_tickets(desk) -> None:
    """One ticket per severity route: P3 at L1 unassigned, P2 at L2 owned by Bob, P0 at L3 in progress."""
    globex = Account.objects.create(name="Globex", tier=Account.AccountTier.STANDARD)
    desk.open_ticket(title="Password reset email never arrives")
    _assigned(desk, desk.l2_agent, title="Duplicate charges", severity=desk.p2, account=globex)
    _acknowledged(desk, desk.l3_engineer, title="All dashboards down", severity=desk.p0)


FILTERS = [
    ("severity", lambda desk: desk.p2.pk, ["Duplicate charges"]),
    ("tier", lambda desk: desk.l3.pk, ["All dashboards down"]),
    ("status", lambda desk: Ticket.Status.IN_PROGRESS, ["All dashboards down"]),
    ("account_tier", lambda desk: Account.AccountTier.STANDARD, ["Duplicate charges"]),
    ("owner", lambda desk: desk.l2_agent.pk, ["Duplicate charges"]),
]


@pytest.mark.parametrize(("field", "value", "expected"), FILTERS, ids=[field for field, _, _ in FILTERS])
def test_each_filter_narrows_the_queue(client, desk, three_tickets, field, value, expected):
    response = _queue(client, desk.manager, scope="all", **{field: value(desk)})
    assert _titles(response) == expected
    assert response.context["form"].is_valid()


@pytest.mark.parametrize(
    "search",
    ["SUP-{number}", "sup-{number}", " {number} ", "charges", "DUPLICATE", "globex"],
)
def test_it_searches_by_reference_number_title_and_account(client, desk, three_tickets, search):
    number = Ticket.objects.get(title="Duplicate charges").number
    response = _queue(client, desk.manager, scope="all", q=search.format(number=number))
    assert _titles(response) == ["Duplicate charges"]


def test_a_number_matches_only_that_ticket_not_others_that_contain_it(client, desk):
    first = desk.open_ticket(title="First")
    desk.open_ticket(title=f"Error {first.number}0 on export")
    assert _titles(_queue(client, desk.manager, scope="all", q=str(first.number))) == ["First"]


def test_sorting_by_deadline_puts_breached_tickets_first(client, desk):
    now = timezone.now()
    desk.open_ticket(title="Fresh")
    desk.open_ticket(title="Breached", created_at=now - timedelta(hours=5))
    _acknowledged(desk, desk.l1_agent, title="Answered long ago", created_at=now - timedelta(hours=10))
    response = _queue(client, desk.manager, scope="all")
    assert _titles(response) == ["Breached", "Fresh", "Answered long ago"]
    html = response.content.decode()
    assert html.index("sla-breached") < html.index("sla-ok")


def test_it_sorts_by_newest_or_by_severity_on_request(client, desk):
    desk.open_ticket(title="Old P3", created_at=timezone.now() - timedelta(hours=1))
    desk.open_ticket(title="New P2", severity=desk.p2)
    desk.open_ticket(title="Middle P0", severity=desk.p0, created_at=timezone.now() - timedelta(minutes=30))
    assert _titles(_queue(client, desk.manager, scope="all", sort="newest")) == ["New P2", "Middle P0", "Old P3"]
    assert _titles(_queue(client, desk.manager, scope="all", sort="severity")) == ["Middle P0", "New P2", "Old P3"]


def test_pagination_shows_fifty_a_page_and_keeps_the_scope_and_the_filters(client, desk):
    for index in range(55):
        desk.open_ticket(title=f"Billing {index:02}", severity=desk.p2)
    desk.open_ticket(title="Not billing")
    first = _queue(client, desk.manager, scope="all", severity=desk.p2.pk, sort="newest")
    assert len(first.context["page"].tickets) == 50
    next_link = f"?scope=all&amp;severity={desk.p2.pk}&amp;sort=newest&amp;page=2"
    assert f'href="{next_link}"' in first.content.decode()
    second = client.get(reverse("escalations:queue") + next_link.replace("&amp;", "&"))
    assert _titles(second) == [f"Billing {index:02}" for index in range(4, -1, -1)]
    assert f'href="?scope=all&amp;severity={desk.p2.pk}&amp;sort=newest&amp;page=1"' in second.content.decode()


@pytest.mark.parametrize(
    "bad",
    [
        {"severity": "abc"},
        {"tier": "999"},
        {"status": "closed"},
        {"account_tier": "gold"},
        {"owner": "nobody"},
        {"sort": "sideways"},
        {"q": "x" * 201},
    ],
)
def test_a_filter_it_cannot_read_shows_the_whole_scope_with_the_error(client, desk, bad):
    desk.open_ticket(title="Still listed")
    desk.open_ticket(title="Also listed", severity=desk.p2)
    response = _queue(client, desk.manager, **({"scope": "all", "tier": desk.l1.pk} | bad))
    assert response.status_code == 200
    assert set(response.context["form"].errors) == set(bad)
    assert sorted(_titles(response)) == ["Also listed", "Still listed"]
    assert 'data-testid="queue-filter-errors"' in response.content.decode()


@pytest.mark.parametrize(
    ("page", "shown"),
    [("zzz", 1), ("-3", 1), ("", 1), ("7", 7), ("99999999999999999999", 10_000)],
)
def test_a_page_number_it_cannot_read_never_fails(client, desk, page, shown):
    desk.open_ticket(title="Only ticket")
    response = _queue(client, desk.manager, scope="all", page=page)
    assert response.status_code == 200
    assert response.context["page"].number == shown


def test_an_unknown_scope_or_a_reference_too_long_for_a_number_never_fails(client, desk):
    desk.open_ticket(title="Only ticket")
    response = _queue(client, desk.manager, scope="nonsense", q="SUP-99999999999999999999999")
    assert response.status_code == 200
    assert (response.context["scope"], _titles(response)) == ("mine", [])


def test_a_ticket_flagged_for_a_manager_shows_a_badge_with_the_reason(client, desk):
    flagged = desk.open_ticket(title="Bounced <b>twice</b>")
    reason = "Ping-pong refused: <b>bob.l2</b> tried to send it back to L1 after 1 bounce(s)"
    Ticket.objects.filter(pk=flagged.pk).update(flagged_at=timezone.now(), flag_reason=reason)
    desk.open_ticket(title="Calm")
    html = _queue(client, desk.manager, scope="all").content.decode()
    assert html.count('data-testid="flag-badge"') == 1
    assert 'title="Ping-pong refused: &lt;b&gt;bob.l2&lt;/b&gt; tried to send it back' in html
    assert "Bounced &lt;b&gt;twice&lt;/b&gt;" in html


def test_an_empty_queue_says_so_and_offers_to_clear_the_filters(client, desk):
    desk.open_ticket(title="P3 only")
    response = _queue(client, desk.manager, scope="all", severity=desk.p0.pk)
    html = response.content.decode()
    assert 'data-testid="queue-empty"' in html
    assert "match these filters" in html
    assert 'href="?scope=all">Clear the filters' in html


@pytest.mark.parametrize("tickets", [5, 60])
def test_the_queue_costs_the_same_few_queries_at_5_and_at_60_tickets(
    client, desk, django_assert_max_num_queries, tickets
):
    for index in range(tickets):
        ticket = _assigned(desk, desk.l1_agent, title=f"Ticket {index}")
        _transfer(desk, ticket, "escalation", desk.l3_engineer)
    Ticket.objects.filter(number__lte=10003).update(flagged_at=timezone.now(), flag_reason="Ping-pong refused")
    client.force_login(desk.l1_agent)
    with django_assert_max_num_queries(QUEUE_QUERIES):
        response = client.get(reverse("escalations:queue"), {"scope": "team"})
    assert len(response.context["page"].tickets) == min(tickets, 50)


@pytest.mark.parametrize("tickets", [5, 60])
def test_filtering_adds_only_the_lookups_of_the_chosen_values(client, desk, django_assert_max_num_queries, tickets):
    for index in range(tickets):
        _assigned(desk, desk.l1_agent, title=f"Ticket {index}")
    filters = {"severity": desk.p3.pk, "tier": desk.l1.pk, "status": "assigned", "account_tier": "enterprise"}
    client.force_login(desk.manager)
    with django_assert_max_num_queries(QUEUE_QUERIES + CHOSEN_FILTER_LOOKUPS):
        response = client.get(
            reverse("escalations:queue"), {"scope": "all", "owner": desk.l1_agent.pk, "q": "ticket", **filters}
        )
    assert len(response.context["page"].tickets) == min(tickets, 50)


@pytest.mark.parametrize(
    "elapsed, state, text",
    [
        (timedelta(hours=1), "ok", "3h 0m left"),
        (timedelta(hours=3, minutes=30), "at_risk", "30m left"),
        (timedelta(hours=4, minutes=5), "breached", "breached 5m ago"),
    ],
)
def test_the_countdown_shows_the_state_and_the_time_left(desk, elapsed, state, text):
    ticket = desk.open_ticket()
    html = sla_countdown(ticket, now=ticket.created_at + elapsed)
    assert f'data-sla="{state}"' in html and f">{text}<" in html


def test_the_queue_redraws_only_its_rows_for_the_live_countdown(client, desk, django_assert_max_num_queries):
    for index in range(3):
        _assigned(desk, desk.l1_agent, title=f"Ticket {index}")
    client.force_login(desk.l1_agent)
    page = client.get(reverse("escalations:queue"), {"scope": "team", "severity": desk.p3.pk}).content.decode()
    assert 'data-live-url="?scope=team&amp;severity=' in page and "rows=1" in page
    with django_assert_max_num_queries(QUEUE_QUERIES):
        rows = client.get(reverse("escalations:queue"), {"scope": "team", "rows": "1"}).content.decode()
    assert "<html" not in rows and "<form" not in rows
    assert rows.count('data-sla="') == 3
