"""The template editor: settings, condition rows in AND/OR groups, QA expected state and ordered steps.

Formsets only gather rows; what the rows mean is checked by templates_app.content, so the editor, YAML import
and the shipped examples are held to the same rules and messages.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from escalations import roles
from escalations.models import Severity, Ticket
from templates_app.content import MAX_DELAY_MINUTES
from templates_app.domain.conditions import FIELDS, MATCHES, OPERATORS
from templates_app.domain.steps import AUDIENCES, ROLES, STEP_KINDS, TARGETS
from templates_app.models import Template, TemplateVersion
from templates_app.models.governance import Event

BLANK = [("", "—")]
MATCH_CHOICES = list(MATCHES.items())
FIELD_CHOICES = BLANK + [(name, field.label) for name, field in FIELDS.items()]
OPERATOR_CHOICES = [(name, operator.label) for name, operator in OPERATORS.items()]
PEOPLE = roles.without_system_users(get_user_model().objects.filter(is_active=True)).order_by("username")
STEP_PARAMS = tuple(dict.fromkeys(param for kind in STEP_KINDS.values() for param in kind.params))


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class TemplateCreateForm(forms.Form):
    name = forms.CharField(max_length=120)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class SettingsForm(forms.Form):
    event = forms.ChoiceField(label="Trigger event", choices=Event.choices)
    delay_minutes = forms.IntegerField(
        label="Wait after the event (minutes)",
        min_value=1,
        max_value=MAX_DELAY_MINUTES,
        required=False,
        help_text="Run this long after the event, and only if the conditions still hold then "
        "(e.g. SLA breached for 30 minutes). Empty: run at once.",
    )
    match = forms.ChoiceField(label="Groups combine with", choices=MATCH_CHOICES)
    ack_timeout_minutes = forms.IntegerField(
        label="Acknowledgement timeout (minutes)",
        min_value=1,
        required=False,
        help_text="The owner acknowledges within this, or the clock fails over: backup, then escalation owner.",
    )
    validation_window_minutes = forms.IntegerField(
        label="Validation window (minutes)",
        min_value=1,
        required=False,
        help_text="The checklist is to be signed within this; when it passes unsigned, the ticket goes to the "
        "validation owner (none: up one tier).",
    )
    validation_owner = forms.ModelChoiceField(
        label="Validation owner (e.g. the analytics manager)",
        queryset=PEOPLE,
        required=False,
    )
    qa_ack_within_minutes = forms.IntegerField(label="QA: acknowledged within (minutes)", min_value=1, required=False)
    qa_notifications_delivered = forms.BooleanField(label="QA: every notification delivered", required=False)
    qa_verification_signed = forms.BooleanField(
        label="QA: every checklist item signed (post-escalation verification)", required=False
    )
    exception_type = forms.ChoiceField(
        label="Exception path", choices=TemplateVersion.ExceptionType.choices, required=False
    )
    exception_runbook = forms.ModelChoiceField(
        label="Type A: runbook template", queryset=Template.objects.all(), required=False
    )
    exception_triage_steps = forms.CharField(
        label="Type B: triage steps (one per line)", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    exception_evidence = forms.CharField(
        label="Type B: evidence the post-mortem requires (one per line)",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    exception_remediation_owner = forms.ModelChoiceField(
        label="Type B: remediation owner", queryset=PEOPLE, required=False
    )
    change_summary = forms.CharField(label="What changed in this version", max_length=300, required=False)

    @classmethod
    def initial_for(cls, version: TemplateVersion) -> dict:
        values = {name: getattr(version, name) for name in cls.base_fields if hasattr(version, name)}
        values["match"] = version.conditions.get("match", "all")
        values["exception_triage_steps"] = "\n".join(version.exception_triage_steps)
        values["exception_evidence"] = "\n".join(version.exception_evidence)
        return values


class GroupForm(forms.Form):
    match = forms.ChoiceField(label="Rules in this group combine with", choices=MATCH_CHOICES)


class RuleForm(forms.Form):
    field = forms.ChoiceField(choices=FIELD_CHOICES, required=False)
    op = forms.ChoiceField(label="Operator", choices=OPERATOR_CHOICES, required=False)
    value = forms.CharField(required=False, help_text="Several values: separate with commas.")

    def rule(self) -> dict | None:
        data = self.cleaned_data
        return {"field": data["field"], "op": data["op"], "value": data["value"]} if data.get("field") else None


class ConditionForm(RuleForm):
    group = forms.IntegerField(min_value=1, initial=1)


class StepForm(forms.Form):
    kind = forms.ChoiceField(choices=BLANK + [(name, kind.label) for name, kind in STEP_KINDS.items()], required=False)
    role = forms.ChoiceField(choices=BLANK + list(ROLES.items()), required=False)
    target = forms.ChoiceField(label="Assign to", choices=BLANK + list(TARGETS.items()), required=False)
    person = forms.CharField(required=False, help_text="Username")
    team = forms.CharField(required=False, help_text="Team (group) name")
    tier = forms.IntegerField(label="Tier level", required=False)
    severity = forms.ChoiceField(choices=BLANK + Severity.Code.choices, required=False)
    title_prefix = forms.CharField(required=False)
    audience = forms.ChoiceField(label="Whom to tell", choices=BLANK + list(AUDIENCES.items()), required=False)
    message = forms.CharField(required=False)
    title = forms.CharField(label="Linked ticket title", required=False)
    category = forms.ChoiceField(choices=BLANK + Ticket.Category.choices, required=False)
    history = forms.IntegerField(label="Recent changes to keep", required=False)
    link = forms.CharField(label="War room link", required=False)
    text = forms.CharField(label="Checklist item", required=False)
    guidance = forms.CharField(label="Decision guidance", widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def step(self) -> dict | None:
        data = self.cleaned_data
        if not data.get("kind"):
            return None
        return {"kind": data["kind"]} | {name: data[name] for name in STEP_PARAMS if data.get(name) not in (None, "")}


GroupFormSet = forms.formset_factory(GroupForm, extra=1, can_delete=True)
ConditionFormSet = forms.formset_factory(ConditionForm, extra=2)
ExpectedFormSet = forms.formset_factory(RuleForm, extra=1)
StepFormSet = forms.formset_factory(StepForm, extra=1, can_order=True, can_delete=True)


class Editor:
    """The editor's forms together: bound to a POST, or filled from a version."""

    def __init__(self, version: TemplateVersion, data=None):
        conditions = version.conditions or {}
        groups = conditions.get("groups", [])
        rows = [rule | {"group": number} for number, group in enumerate(groups, start=1) for rule in group["rules"]]
        self.settings = SettingsForm(data, initial=SettingsForm.initial_for(version))
        self.groups = GroupFormSet(data, prefix="groups", initial=[{"match": group["match"]} for group in groups])
        self.conditions = ConditionFormSet(data, prefix="conditions", initial=_as_typed(rows))
        self.expected = ExpectedFormSet(data, prefix="expected", initial=_as_typed(version.qa_expected_state))
        self.steps = StepFormSet(
            data, prefix="steps", initial=[step | {"ORDER": n} for n, step in enumerate(version.steps, start=1)]
        )

    @property
    def parts(self) -> list:
        return [self.settings, self.groups, self.conditions, self.expected, self.steps]

    def _groups(self) -> list[dict]:
        """Rows go to the group their number names; a group ticked for removal goes with its rows.

        Groups the editor showed stay even when emptied, so that clean_conditions says so instead of dropping them.
        """
        rows: dict[int, list[dict]] = {}
        for form in self.conditions.forms:
            if rule := form.rule():
                rows.setdefault(form.cleaned_data.get("group") or 1, []).append(rule)
        forms_by_number = dict(enumerate(self.groups.forms, start=1))
        removed = {number for number, form in forms_by_number.items() if form.cleaned_data.get("DELETE")}
        numbers = sorted((set(range(1, len(self.groups.initial_forms) + 1)) | set(rows)) - removed)

        def match(number: int) -> str:
            form = forms_by_number.get(number)
            return (form.cleaned_data.get("match") if form else None) or "all"

        return [{"match": match(number), "rules": rows.get(number, [])} for number in numbers]

    def content(self) -> dict:
        """The rows as a version's content; raises ValidationError for rows that do not fit together."""
        if not all(part.is_valid() for part in self.parts):
            raise ValidationError("Some rows have errors: see the fields marked below.")
        settings = self.settings.cleaned_data
        groups = self._groups()
        steps = [form.step() for form in self.steps.ordered_forms if form.step()]
        content = {name: settings[name] for name in settings if name not in ("match", "change_summary")}
        return content | {
            "conditions": {"match": settings["match"], "groups": groups},
            "steps": steps,
            "qa_expected_state": [rule for form in self.expected.forms if (rule := form.rule())],
            "exception_triage_steps": _lines(settings["exception_triage_steps"]),
            "exception_evidence": _lines(settings["exception_evidence"]),
        }


def _shown(value) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return {True: "yes", False: "no"}.get(value, value)


def _as_typed(rules: list[dict]) -> list[dict]:
    """Rules with their values written the way a person types them in the value box."""
    return [rule | {"value": _shown(rule["value"])} for rule in rules]


class ReasonForm(forms.Form):
    """A governance action's reason; the service says when one is needed (submitting takes an optional note)."""

    reason = forms.CharField(max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")], widget=forms.HiddenInput)
    comment = forms.CharField(
        label="Sign-off comment (or what has to change)", widget=forms.Textarea(attrs={"rows": 3})
    )
    content_hash = forms.CharField(widget=forms.HiddenInput)
    activate = forms.BooleanField(label="Make it the active version now", required=False, initial=True)


class SignForm(forms.Form):
    decision = forms.CharField(label="Decision", max_length=1000)


class InboundEventForm(forms.Form):
    name = forms.CharField(label="Event", max_length=100, help_text="e.g. lead_rejected, pipeline_failure")
    source = forms.CharField(max_length=100, required=False, help_text="e.g. paid_campaign")


class ImportForm(forms.Form):
    document = forms.CharField(label="Templates as YAML", widget=forms.Textarea(attrs={"rows": 16}))
