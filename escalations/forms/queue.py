from django import forms

from config.widgets import FastSelect
from escalations.forms.tickets import agent_choices
from escalations.models import Account, Severity, Ticket, Tier
from escalations.selectors.queue import SORTS


def _select() -> FastSelect:
    return FastSelect(attrs={"class": "form-select form-select-sm"})


class QueueFilterForm(forms.Form):
    """The queue's filter bar, read from the query string; every field may be left empty."""

    q = forms.CharField(
        required=False,
        max_length=200,
        label="Search",
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "class": "form-control form-control-sm",
                "placeholder": "SUP-10023, title, account",
            }
        ),
    )
    severity = forms.ModelChoiceField(
        queryset=Severity.objects.all(), required=False, empty_label="Any severity", widget=_select()
    )
    tier = forms.ModelChoiceField(
        queryset=Tier.objects.filter(is_active=True), required=False, empty_label="Any tier", widget=_select()
    )
    status = forms.ChoiceField(
        choices=[("", "Any open status")] + [(status.value, status.label) for status in Ticket.OPEN_STATUSES],
        required=False,
        widget=_select(),
    )
    account_tier = forms.ChoiceField(
        choices=[("", "Any account tier"), *Account.AccountTier.choices], required=False, widget=_select()
    )
    owner = forms.ModelChoiceField(queryset=None, required=False, empty_label="Any owner", widget=_select())
    sort = forms.ChoiceField(
        choices=[(key, f"{key.capitalize()} first") for key in SORTS], required=False, widget=_select()
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = agent_choices()
