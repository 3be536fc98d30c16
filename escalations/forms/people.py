from django import forms
from django.contrib.auth import get_user_model

from escalations import roles


class AwayForm(forms.Form):
    """Mark one person away or back; who may do it is the service's rule."""

    person = forms.ModelChoiceField(
        queryset=roles.without_system_users(get_user_model().objects.filter(is_active=True))
    )
    away = forms.TypedChoiceField(choices=[("1", "away"), ("0", "available")], coerce=lambda value: value == "1")
