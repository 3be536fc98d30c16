"""The report pages' forms: the filter bar lives in reporting.filters; here the review form and the drill-down."""

from django import forms

from escalations.models import Escalation
from reporting.filters import ReportFilterForm
from reporting.models import EscalationReview
from reporting.selectors.drilldown import METRICS

YES_NO = [("yes", "Yes"), ("no", "No")]
LARGEST_ID = 2**63 - 1  # a BigAutoField's: a larger number fails in the database, not as an unknown id


def _id() -> forms.IntegerField:
    return forms.IntegerField(required=False, min_value=1, max_value=LARGEST_ID)


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
    account = _id()
    calendar = forms.CharField(required=False, max_length=100)
    passed_tier = _id()
    left_tier = _id()
    escalated_by = _id()
    kind = forms.ChoiceField(choices=[("", ""), *Escalation.Kind.choices], required=False)
    acked_by = _id()
    handoffs = forms.IntegerField(required=False, min_value=0, max_value=1000)
    failed_over = _id()
    page = forms.IntegerField(required=False, min_value=1, max_value=10_000)


class ReviewForm(forms.Form):
    cause = forms.ChoiceField(choices=[("", "Pick the cause"), *EscalationReview.Cause.choices], label="Cause")
    lower_tier_could_solve = forms.ChoiceField(
        choices=YES_NO, widget=forms.RadioSelect, label="Could a lower tier have solved it?"
    )
    follow_up = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), label="Follow-up"
    )
