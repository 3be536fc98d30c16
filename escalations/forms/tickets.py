from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from escalations import roles
from escalations.models import Account, Severity, Ticket, TicketNote


def agent_choices():
    """Active people who can work tickets, for owner pickers."""
    return (
        roles.without_system_users(get_user_model().objects.filter(is_active=True))
        .filter(Q(groups__permissions__codename="work_tickets") | Q(is_superuser=True))
        .distinct()
        .order_by("username")
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False)


class AssignForm(OptionalReasonForm):
    owner = forms.ModelChoiceField(queryset=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = agent_choices()


TRANSITION_FORMS = {
    "assign": AssignForm,
    "acknowledge": OptionalReasonForm,
    "wait_on_customer": ReasonForm,
    "resume": OptionalReasonForm,
    "resolve": ReasonForm,
    "close": OptionalReasonForm,
    "reopen": ReasonForm,
}


class TicketForm(forms.ModelForm):
    """What an agent types when a customer calls or chats in."""

    account = forms.ModelChoiceField(queryset=Account.objects.all())
    severity = forms.ModelChoiceField(queryset=Severity.objects.all(), initial=None)

    class Meta:
        model = Ticket
        fields = ["title", "account", "requester", "category", "severity", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 6})}


class NoteForm(forms.ModelForm):
    class Meta:
        model = TicketNote
        fields = ["visibility", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 3}), "visibility": forms.RadioSelect}
        labels = {"visibility": "", "body": "Note"}
