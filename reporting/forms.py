"""The report pages' forms: the filter bar lives in reporting.filters; here the review form and the drill-down."""

from django import forms

from escalations.models import Escalation
from reporting.filters import ReportFilterForm
from reporting.models import EscalationReview
from reporting.selectors.drilldown import METRICS

YES_NO = [("yes", "Yes"), ("no", "No")]


class AccountFilterForm(ReportFilterForm):
    at_least = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=1000,
        label="At least",
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm", "style": "width: 6rem"}),
    )


class DrilldownForm(forms.Form):
    """A figure's own dimension, beyond the report filter; anything invalid is simply not applied."""

    metric = forms.ChoiceField(choices=[(key, label) for key, (label, _) in METRICS.items()], required=False)
    which = forms.ChoiceField(choices=[("current", "current"), ("previous", "previous")], required=False)
    account = forms.IntegerField(required=False, min_value=1)
    calendar = forms.CharField(required=False, max_length=100)
    passed_tier = forms.IntegerField(required=False, min_value=1)
    left_tier = forms.IntegerField(required=False, min_value=1)
    escalated_by = forms.IntegerField(required=False, min_value=1)
    kind = forms.ChoiceField(choices=[("", "")] + Escalation.Kind.choices, required=False)
    acked_by = forms.IntegerField(required=False, min_value=1)
    handoffs = forms.IntegerField(required=False, min_value=0, max_value=1000)
    failed_over = forms.IntegerField(required=False, min_value=1)
    page = forms.IntegerField(required=False, min_value=1, max_value=10_000)


class ReviewForm(forms.Form):
    cause = forms.ChoiceField(choices=[("", "Pick the cause")] + EscalationReview.Cause.choices, label="Cause")
    lower_tier_could_solve = forms.ChoiceField(
        choices=YES_NO, widget=forms.RadioSelect, label="Could a lower tier have solved it?"
    )
    follow_up = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), label="Follow-up"
    )
