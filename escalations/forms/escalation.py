"""The guided escalation form, de-escalation and ownership transfer."""

from django import forms
from django.contrib.auth import get_user_model

from escalations import roles
from escalations.domain.decisions import NOTE_FIELD_LABELS
from escalations.domain.durations import parse_duration
from escalations.forms.tickets import agent_choices
from escalations.models import EscalationNote, OwnershipTransfer, Ticket, Tier
from escalations.services.escalation import DEESCALATION_REASONS

NOTE_FIELDS = list(NOTE_FIELD_LABELS)
TEXTAREA = forms.Textarea(attrs={"rows": 3})


def tier_agents(tier: Tier):
    people = get_user_model().objects.filter(is_active=True, groups=tier.team)
    return roles.without_system_users(people).order_by("username")


class LinesField(forms.CharField):
    """A textarea where each line is one item, e.g. one step already taken per line."""

    widget = forms.Textarea(attrs={"rows": 3})

    def clean(self, value) -> list[str]:
        text = super().clean(value)
        return [line.strip(" -•\t") for line in text.splitlines() if line.strip(" -•\t")]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


class EscalationNoteFields(forms.ModelForm):
    class Meta:
        model = EscalationNote
        fields = [name for name in NOTE_FIELDS if name not in ("symptoms", "steps_taken")]
        widgets = {
            name: TEXTAREA
            for name in NOTE_FIELDS
            if name not in ("summary", "environment", "linked_tickets", "affected_users")
        }
        labels = {name: label[0].upper() + label[1:] for name, label in NOTE_FIELD_LABELS.items()}


class EscalationForm(EscalationNoteFields):
    """Decision (criteria + rationale), the escalation note, evidence and the receiving owner, on one page."""

    criteria = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple, label="Criteria met"
    )
    rationale = forms.CharField(widget=TEXTAREA, max_length=4000, help_text="Why these criteria apply to this ticket.")
    symptoms = LinesField(required=False, help_text="One symptom per line.")
    steps_taken = LinesField(required=False, label="Steps already taken", help_text="One step per line.")
    attachments = MultipleFileField(required=False, help_text="Logs, HAR captures, screenshots (10 MB each at most).")
    owner = forms.ModelChoiceField(queryset=None, required=False, empty_label="The tier's team queue")

    def __init__(self, *args, ticket: Ticket, target: Tier | None, required: tuple[str, ...], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["criteria"].queryset = ticket.tier.criteria.filter(is_active=True)
        self.fields["criteria"].label_from_instance = lambda criterion: criterion.text
        self.fields["owner"].queryset = tier_agents(target) if target else get_user_model().objects.none()
        for name in NOTE_FIELDS:
            self.fields[name].required = name in required and name != "logs"
        self.required_note_fields = required

    def clean(self):
        cleaned = super().clean()
        if "logs" in self.required_note_fields and not cleaned.get("logs") and not cleaned.get("attachments"):
            self.add_error("logs", "Paste the logs or attach a file: engineering needs them.")
        return cleaned

    def note(self) -> dict:
        return {name: self.cleaned_data[name] for name in NOTE_FIELDS}


class DeescalationForm(forms.Form):
    to_tier = forms.ModelChoiceField(queryset=None, label="Back to tier", empty_label=None)
    reason = forms.ChoiceField(
        choices=[(text, text) for text in DEESCALATION_REASONS],
        widget=forms.RadioSelect,
        label="De-escalation criterion",
    )
    rationale = forms.CharField(widget=TEXTAREA, max_length=4000, label="What the lower tier follows up on")
    owner = forms.ModelChoiceField(queryset=None, required=False, empty_label="The tier's team queue")

    def __init__(self, *args, ticket: Ticket, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_tier"].queryset = Tier.objects.filter(is_active=True, level__lt=ticket.tier.level).order_by(
            "-level"
        )
        self.fields["owner"].queryset = agent_choices()


EXPECTED_RESPONSE_CHOICES = [
    ("15m", "15 minutes"),
    ("30m", "30 minutes"),
    ("1h", "1 hour"),
    ("2h", "2 hours"),
    ("4h", "4 hours"),
    ("8h", "8 hours"),
    ("24h", "24 hours"),
]


class TransferForm(forms.Form):
    role = forms.ChoiceField(
        choices=OwnershipTransfer.Role.choices, widget=forms.RadioSelect, initial=OwnershipTransfer.Role.PRIMARY
    )
    to_owner = forms.ModelChoiceField(queryset=None, label="New owner")
    reason = forms.CharField(widget=TEXTAREA, max_length=2000)
    expected_response = forms.ChoiceField(
        choices=EXPECTED_RESPONSE_CHOICES,
        initial="1h",
        help_text="Recorded in the transfer: how soon the new owner should respond.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_owner"].queryset = agent_choices()

    def clean_expected_response(self):
        return parse_duration(self.cleaned_data["expected_response"])
