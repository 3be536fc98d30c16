import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.http import HttpRequest

from devtools.demo import DEMO_PASSWORD
from escalations.models import Account, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def configured():
    call_command("import_escalation_config", verbosity=0)


def test_the_demo_has_tickets_in_every_state_with_history(configured):
    call_command("seed_demo")
    assert set(Ticket.objects.values_list("status", flat=True)) == set(Ticket.Status.values)
    escalated = Ticket.objects.get(title__startswith="Report totals differ")
    assert escalated.tier.level == 2
    assert escalated.escalations.get().note.steps_taken
    assert escalated.history.filter(history_change_reason__icontains="Escalate to L2 because").exists()


def test_the_demo_people_sign_in_with_the_printed_password(configured, client, capsys):
    call_command("seed_demo")
    assert DEMO_PASSWORD in capsys.readouterr().out
    for username in ["agent.l1", "agent.l2", "engineer.l3", "manager", "admin"]:
        # django-axes counts sign-ins per address, so it needs the request.
        assert client.login(request=HttpRequest(), username=username, password=DEMO_PASSWORD), username


def test_running_the_demo_seed_twice_adds_nothing(configured):
    call_command("seed_demo")
    counts = (get_user_model().objects.count(), Account.objects.count(), Ticket.objects.count())
    call_command("seed_demo")
    assert (get_user_model().objects.count(), Account.objects.count(), Ticket.objects.count()) == counts


def test_the_demo_refuses_to_run_before_the_configuration(db):
    with pytest.raises(Exception, match="import_escalation_config"):
        call_command("seed_demo")
