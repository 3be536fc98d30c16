"""Version life cycle and four eyes: who may submit, approve, reject, activate, roll back and retire, and when."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from templates_app import services
from templates_app.domain.diff import version_diff
from templates_app.models import TemplateVersion
from tests.templates.conftest import NOTE_STEP, draft, live, submitted

pytestmark = pytest.mark.django_db
Status = TemplateVersion.Status


def _approve(version, by, **extra):
    options = {"comment": "Looks right", "seen_hash": version.content_hash()} | extra
    return services.version_approve(version=version, by=by, **options)


def test_a_second_manager_approves_and_the_version_goes_live(desk):
    version = _approve(submitted(desk), desk.manager2)
    assert (version.status, version.reviewed_by, version.review_comment) == (
        Status.ACTIVE,
        desk.manager2,
        "Looks right",
    )
    reasons = list(
        version.history.order_by("history_id").values_list("history_change_reason", "history_user__username")
    )
    assert reasons == [
        ("Drafted", "maria.manager"),
        ("Edited", "maria.manager"),
        ("Submitted for approval", "maria.manager"),
        ("Approved: Looks right", "mateo.manager"),
        ("Activated on approval by mateo.manager", "mateo.manager"),
    ]


def test_it_refuses_self_approval(desk):
    version = submitted(desk)
    with pytest.raises(PermissionDenied, match="another manager has to review it"):
        _approve(version, desk.manager)
    assert TemplateVersion.objects.get(pk=version.pk).status == Status.SUBMITTED


def test_a_manager_who_edited_someone_elses_draft_cannot_approve_it(desk):
    version = draft(desk, by=desk.manager)
    services.version_update(version=version, by=desk.manager2, content=version.content() | {"steps": [NOTE_STEP] * 2})
    version = services.version_submit(version=version, by=desk.manager)
    with pytest.raises(PermissionDenied):
        _approve(version, desk.manager2)


@pytest.mark.parametrize("person", ["l1_agent", "l3_engineer", "admin", "outsider"])
def test_only_managers_approve(desk, person):
    with pytest.raises(PermissionDenied, match="Only a manager"):
        _approve(submitted(desk), getattr(desk, person))


def test_it_refuses_a_version_changed_after_it_was_submitted(desk):
    version = submitted(desk)
    TemplateVersion.objects.filter(pk=version.pk).update(steps=[NOTE_STEP | {"message": "changed behind the back"}])
    version.refresh_from_db()
    with pytest.raises(ValidationError, match="changed after it was submitted"):
        _approve(version, desk.manager2)


def test_it_refuses_an_approval_of_content_the_approver_did_not_see(desk):
    with pytest.raises(ValidationError, match="changed since you opened it"):
        _approve(submitted(desk), desk.manager2, seen_hash="0" * 64)


def test_a_sign_off_comment_is_required(desk):
    with pytest.raises(ValidationError, match="sign-off comment"):
        _approve(submitted(desk), desk.manager2, comment="  ")


def test_a_submitted_version_cannot_be_edited(desk):
    version = submitted(desk)
    with pytest.raises(ValidationError, match="start a new draft"):
        services.version_update(version=version, by=desk.manager, content=version.content())


def test_a_rejected_version_goes_back_to_draft_with_the_reviewers_comment(desk):
    version = services.version_reject(version=submitted(desk), by=desk.manager2, comment="Page the lead too")
    assert (version.status, version.review_comment) == (Status.REJECTED, "Page the lead too")
    version = services.version_update(version=version, by=desk.manager, content=version.content())
    assert (version.status, version.review_comment) == (Status.DRAFT, "Page the lead too")
    assert services.version_submit(version=version, by=desk.manager).status == Status.SUBMITTED


def test_agents_cannot_draft_or_submit(desk):
    with pytest.raises(PermissionDenied):
        services.template_create(by=desk.l1_agent, name="Mine")
    with pytest.raises(PermissionDenied):
        services.version_submit(version=draft(desk), by=desk.l2_agent)


def test_a_draft_cannot_be_approved_before_it_is_submitted(desk):
    version = draft(desk)
    TemplateVersion.objects.filter(pk=version.pk).update(submitted_hash=version.content_hash())
    version.refresh_from_db()
    with pytest.raises(ValidationError, match="cannot be approved now"):
        _approve(version, desk.manager2)


def _second_version(desk, first):
    second = services.version_new_draft(version=first, by=desk.manager)
    second = services.version_update(
        version=second,
        by=desk.manager,
        content=second.content() | {"steps": [NOTE_STEP, {"kind": "escalate", "tier": 3}]},
    )
    second = services.version_submit(version=second, by=desk.manager)
    return _approve(second, desk.manager2)


def test_activating_a_new_version_supersedes_the_old_one_and_rollback_restores_it(desk):
    first = live(desk)
    second = _second_version(desk, first)
    first.refresh_from_db()
    assert (first.status, second.status) == (Status.SUPERSEDED, Status.ACTIVE)
    restored = services.template_rollback(
        template=first.template, by=desk.manager, to_version=first, reason="v2 pages too much"
    )
    second.refresh_from_db()
    assert (restored.status, second.status) == (Status.ACTIVE, Status.SUPERSEDED)
    assert restored.history.latest().history_change_reason == "Rolled back to v1: v2 pages too much"


def test_rollback_needs_a_reason_a_manager_and_a_version_that_was_live(desk):
    first = live(desk)
    second = _second_version(desk, first)
    first.refresh_from_db()
    with pytest.raises(ValidationError, match="Say why"):
        services.template_rollback(template=first.template, by=desk.manager, to_version=first, reason="")
    with pytest.raises(PermissionDenied):
        services.template_rollback(template=first.template, by=desk.l3_engineer, to_version=first, reason="x")
    with pytest.raises(ValidationError, match="was live before"):
        services.template_rollback(template=first.template, by=desk.manager, to_version=second, reason="x")


def test_the_database_keeps_one_active_version_per_template(desk):
    first = live(desk)
    second = services.version_new_draft(version=first, by=desk.manager)
    with pytest.raises(IntegrityError), transaction.atomic():
        TemplateVersion.objects.filter(pk=second.pk).update(status=Status.ACTIVE)


def test_a_retired_version_no_longer_runs_and_stays_retired(desk):
    version = services.version_retire(version=live(desk), by=desk.manager, reason="Process replaced")
    assert version.status == Status.RETIRED
    with pytest.raises(ValidationError):
        services.version_activate(version=version, by=desk.manager, reason="again")


def test_the_diff_lists_changed_fields_and_steps_added_and_removed(desk):
    first = live(desk)
    second = services.version_new_draft(version=first, by=desk.manager)
    content = second.content() | {
        "steps": [{"kind": "escalate", "tier": 3}],
        "ack_timeout_minutes": 5,
        "event": "sla_breached",
        "delay_minutes": 30,
    }
    second = services.version_update(version=second, by=desk.manager, content=content)
    diff = version_diff(first, second)
    assert ("Trigger event", "Ticket created", "SLA breached") in diff.fields
    assert ("Acknowledgement timeout (min)", "—", "5") in diff.fields
    assert ("Wait after the event (min)", "—", "30") in diff.fields
    assert diff.steps_removed == ["Notify the managers: Enterprise customer in trouble"]
    assert diff.steps_added == ["Escalate to L3"]
    assert version_diff(first, first).is_empty


def test_a_version_with_bad_content_is_refused_with_every_problem(desk):
    version = services.template_create(by=desk.manager, name="Broken")
    bad = {
        "event": "created",
        "conditions": {"groups": [{"rules": [{"field": "mood", "op": "eq", "value": "x"}]}]},
        "steps": [{"kind": "assign", "role": "primary", "target": "person", "person": ""}, {"kind": "teleport"}],
    }
    with pytest.raises(ValidationError) as refused:
        services.version_update(version=version, by=desk.manager, content=bad)
    messages = " ".join(refused.value.messages)
    assert "Unknown field “mood”" in messages
    assert "Step 1: The person to assign is missing." in messages
    assert "Step 2: Unknown step kind “teleport”" in messages
