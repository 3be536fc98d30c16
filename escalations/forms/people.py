from django import forms
from django.contrib.auth import get_user_model


class AwayForm(forms.Form):
    """Mark one person away or back; who may do it is the service's rule."""

    person = forms.ModelChoiceField(queryset=get_user_model().objects.filter(is_active=True))
    away = forms.TypedChoiceField(choices=[("1", "away"), ("0", "available")], coerce=lambda value: value == "1")
