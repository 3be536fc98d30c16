"""The SLA clock and the inbound sources act through the services, but they are nobody: no sign-in, no ownership."""

from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse

from escalations import services
from escalations.forms.escalation import DeescalationForm, TransferForm, tier_agents
from escalations.forms.people import AwayForm
from escalations.forms.tickets import AssignForm
from escalations.models import OwnershipTransfer
from escalations.services.clock import clock_user
from escalations.services.people import profile_set_away
from templates_app import services as templates
from templates_app.forms import SettingsForm
from templates_app.models import InboundSource
from tests.templates.conftest import draft

pytestmark = pytest.mark.django_db


@pytest.fixture
def system_users(desk):
    """The clock (a Manager, so it works every ticket) and a source's user, put into L1's team by someone careless."""
    source = templates.inbound_source_save(source=InboundSource(slug="crm", name="CRM"), by=desk.admin, token="t" * 40)
    source.user.groups.add(desk.l1.team)
    return [clock_user(), source.user]


def test_the_system_users_cannot_sign_in_even_with_a_password(client, system_users):
    for user in system_users:
        user.set_password("someone-set-this-2026")
        user.save()
        assert authenticate(HttpRequest(), username=user.username, password="someone-set-this-2026") is None
        response = client.post(reverse("login"), {"username": user.username, "password": "someone-set-this-2026"})
        assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_a_session_a_system_user_somehow_had_is_not_honoured(client, system_users):
    client.force_login(system_users[0])
    assert client.get(reverse("escalations:queue")).status_code == 302


def test_no_owner_picker_offers_a_system_user(desk, system_users):
    escalated = desk.escalate(desk.working_at_l1(), by=desk.l1_agent).ticket
    pickers = [
        AssignForm().fields["owner"].queryset,
        TransferForm().fields["to_owner"].queryset,
        DeescalationForm(ticket=escalated).fields["owner"].queryset,
        tier_agents(desk.l1),
        AwayForm().fields["person"].queryset,
        SettingsForm().fields["validation_owner"].queryset,
        SettingsForm().fields["exception_remediation_owner"].queryset,
    ]
    for people in pickers:
        assert people.exists() and not people.filter(pk__in=[user.pk for user in system_users]).exists()


def test_the_services_refuse_a_system_user_as_owner_whatever_is_posted(desk, system_users):
    clock, source_user = system_users
    with pytest.raises(ValidationError, match="system account"):
        services.ticket_assign(ticket=desk.open_ticket(), by=desk.manager, owner=source_user)
    with pytest.raises(ValidationError, match="does not work tickets"):
        services.ticket_transfer(
            ticket=desk.working_at_l1(),
            by=desk.manager,
            role=OwnershipTransfer.Role.ESCALATION,
            to_owner=clock,
            reason="Nobody else",
            expected_response=timedelta(hours=1),
        )
    with pytest.raises(ValidationError, match="never away"):
        profile_set_away(user=clock, by=desk.manager, is_away=True)


def test_a_template_cannot_name_a_system_user(desk, system_users):
    assign_clock = {"kind": "assign", "role": "primary", "target": "person", "person": "sla-clock"}
    with pytest.raises(ValidationError, match="Nobody active is called"):
        draft(desk, steps=[assign_clock])
    checklist = {"kind": "human", "text": "Data steward validates the lead routing"}
    with pytest.raises(ValidationError, match="does not work tickets"):
        draft(
            desk,
            name="Lead routing",
            steps=[checklist],
            validation_window_minutes=720,
            validation_owner=system_users[0],
        )


def test_the_availability_page_lists_people_only(client, desk, system_users):
    client.force_login(desk.manager)
    page = client.get(reverse("escalations:availability")).content.decode()
    assert desk.l1_agent.username in page
    assert "sla-clock" not in page and "inbound-crm" not in page


def test_an_inbound_source_keeps_its_history_without_its_token(desk):
    source = templates.inbound_source_save(source=InboundSource(slug="cms", name="CMS"), by=desk.admin, token="t" * 40)
    source.name = "Publishing pipeline"
    templates.inbound_source_save(source=source, by=desk.admin)
    rows = list(source.history.order_by("history_id").values("name", "history_user", "history_change_reason"))
    assert rows == [
        {"name": "CMS", "history_user": desk.admin.pk, "history_change_reason": "New token"},
        {"name": "Publishing pipeline", "history_user": desk.admin.pk, "history_change_reason": "Settings changed"},
    ]
    assert not hasattr(source.history.model, "token_hash")
