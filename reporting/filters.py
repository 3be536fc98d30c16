"""What a report is about: the period (with the one before it beside it) and the slice of tickets.

Agents see only their own teams: the scope is fixed here on the server, whatever the query string says.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Case, Q, Value, When
from django.utils import timezone

from config.widgets import FastSelect
from escalations import roles
from escalations.models import Account, Escalation, Severity, Ticket, Tier

PERIODS = {
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "90d": "Last 90 days",
    "month": "This month",
    "last_month": "Last month",
    "custom": "Custom dates",
}
DEFAULT_PERIOD = "30d"
MAX_PERIOD = timedelta(days=366)
DAILY_UP_TO = timedelta(days=35)
# Custom dates stay within years the desk can have tickets in: the previous period (up to a year earlier), the day
# after the end and the week buckets are computed from them, and at year 1 or 9999 they would leave the calendar.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
CURRENT, PREVIOUS = "current", "previous"


@dataclass(frozen=True)
class ReportFilter:
    """[start, end) and the same length before it; dimensions left None/"" are not filtered."""

    start: datetime
    end: datetime
    tier: Tier | None = None
    team: Group | None = None
    severity: Severity | None = None
    account_tier: str = ""
    category: str = ""
    agent: object = None
    teams: frozenset[int] | None = None  # None: every team (managers); else the only teams this person may see
    people: frozenset[int] | None = None  # None: everyone; else the only people whose own figures may be shown
    previous: datetime | None = None  # where the previous period starts; None: as long as this one, just before

    @property
    def previous_start(self) -> datetime:
        return self.previous or self.start - (self.end - self.start)

    @property
    def in_no_team(self) -> bool:
        """A reader who is no manager and in no tier's team (yet): the report has no tickets to show them."""
        return self.teams is not None and not self.teams

    @property
    def bucket(self) -> str:
        return "day" if self.end - self.start <= DAILY_UP_TO else "week"

    def period(self, field: str) -> Case:
        """ "current" or "previous" for a row whose `field` falls in either period."""
        return Case(When(**{f"{field}__gte": self.start}, then=Value(CURRENT)), default=Value(PREVIOUS))

    def both_periods(self, field: str) -> Q:
        return Q(**{f"{field}__gte": self.previous_start, f"{field}__lt": self.end})

    def current_period(self, field: str) -> Q:
        return Q(**{f"{field}__gte": self.start, f"{field}__lt": self.end})

    def slice(self, *, moment: bool = False) -> Q:
        """The dimension filters on tickets, without the period.

        `moment`: the rows are snapshots of tickets (history rows), so the team scope is the tier at that moment.
        """
        wanted = {
            "tier": self.tier,
            "tier__team": self.team,
            "severity": self.severity,
            "account__tier": self.account_tier,
            "category": self.category,
            "primary_owner": self.agent,
        }
        q = Q(**{field: value for field, value in wanted.items() if value})
        if self.teams is None:
            return q
        if moment:
            return q & Q(tier__team__in=self.teams)
        # Tickets at one of the person's teams' tiers now, or that passed through one (and left it, escalating).
        passed = Escalation.objects.filter(from_tier__team__in=self.teams).values("ticket_id")
        return q & (Q(tier__team__in=self.teams) | Q(pk__in=passed))

    def tickets(self, field: str = "created_at"):
        """Tickets of the slice whose `field` falls in the current or the previous period."""
        return Ticket.objects.filter(self.both_periods(field), self.slice())

    def person_visible(self, field: str) -> Q:
        """Rows about a person (an agent's own figures) only for the people this viewer may see."""
        return Q() if self.people is None else Q(**{f"{field}__in": self.people})


def _select() -> FastSelect:
    return FastSelect(attrs={"class": "form-select form-select-sm"})


class ReportFilterForm(forms.Form):
    """The filter bar on every report page, read from the query string; anything left empty is not filtered."""

    period = forms.ChoiceField(choices=PERIODS.items(), required=False, widget=_select())
    start = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"})
    )
    end = forms.DateField(
        required=False,
        label="End (inclusive)",
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"}),
    )
    tier = forms.ModelChoiceField(
        queryset=Tier.objects.none(), required=False, empty_label="Any tier", widget=_select()
    )
    team = forms.ModelChoiceField(
        queryset=Group.objects.none(), required=False, empty_label="Any team", widget=_select()
    )
    severity = forms.ModelChoiceField(
        queryset=Severity.objects.all(), required=False, empty_label="Any severity", widget=_select()
    )
    account_tier = forms.ChoiceField(
        choices=[("", "Any account tier"), *Account.AccountTier.choices], required=False, widget=_select()
    )
    category = forms.ChoiceField(
        choices=[("", "Any category"), *Ticket.Category.choices], required=False, widget=_select()
    )
    agent = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(), required=False, empty_label="Any agent", widget=_select()
    )

    def __init__(self, data, *, user, **kwargs):
        if data is not None and not data.get("period"):
            data = data.copy()
            data["period"] = DEFAULT_PERIOD  # so the bar shows the period the figures are for
        super().__init__(data, **kwargs)
        self.user, self.is_manager = user, roles.is_manager(user)
        teams = Group.objects.filter(tiers__isnull=False)
        tiers = Tier.objects.filter(is_active=True)
        people = get_user_model().objects.filter(is_active=True, groups__tiers__isnull=False)
        self.own_teams = None
        if not self.is_manager:
            own = self.own_teams = frozenset(teams.filter(pk__in=roles.team_ids(user)).values_list("pk", flat=True))
            teams, tiers, people = teams.filter(pk__in=own), tiers.filter(team__in=own), people.filter(groups__in=own)
        self.fields["team"].queryset = teams.distinct().order_by("name")
        self.fields["tier"].queryset = tiers
        self.fields["agent"].queryset = people.distinct().order_by("username")

    def clean(self):
        data = super().clean()
        if data.get("period") == "custom":
            if not data.get("start") or not data.get("end"):
                raise forms.ValidationError("Custom dates need a start and an end.")
            if data["start"] < FIRST_DAY or data["end"] > LAST_DAY:
                raise forms.ValidationError(f"Custom dates go from {FIRST_DAY} to {LAST_DAY}.")
            if data["end"] < data["start"]:
                raise forms.ValidationError("The end date is before the start date.")
            if data["end"] - data["start"] >= MAX_PERIOD:
                raise forms.ValidationError("A report covers at most a year.")
        return data

    def report_filter(self) -> ReportFilter:
        """The filter to run: what validated, within the viewer's scope; a bad field falls back to the default."""
        data = self.cleaned_data if self.is_valid() else {}
        start, end, previous = period_bounds(data.get("period") or DEFAULT_PERIOD, data.get("start"), data.get("end"))
        scope = {}
        if self.own_teams is not None:  # an agent: their tiers' teams (not the "Agents" role group) and its people
            members = get_user_model().objects.filter(groups__in=self.own_teams).values_list("pk", flat=True)
            scope = {"teams": self.own_teams, "people": frozenset(members)}
        dimensions = {
            name: data.get(name) for name in ("tier", "team", "severity", "account_tier", "category", "agent")
        }
        chosen = {name: value for name, value in dimensions.items() if value}
        return ReportFilter(start=start, end=end, previous=previous, **chosen, **scope)


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _month_before(first: date) -> date:
    return (first - timedelta(days=1)).replace(day=1)


def period_bounds(period: str, start: date | None = None, end: date | None = None, *, now=None):
    """Start, end and previous start of a named period in the desk's time zone; "last N days" ends now.

    A month is compared with the whole month before it, so "this month" answers "better than last month?".
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    if period == "custom" and start and end:
        return _midnight(start), _midnight(end + timedelta(days=1)), None
    if period == "month":
        first = today.replace(day=1)
        return _midnight(first), now, _midnight(_month_before(first))
    if period == "last_month":
        first = _month_before(today.replace(day=1))
        return _midnight(first), _midnight(today.replace(day=1)), _midnight(_month_before(first))
    days = int(period.rstrip("d")) if period in ("7d", "30d", "90d") else 30
    return now - timedelta(days=days), now, None
