"""A crash between the decision and the resume still resumes, exactly once: the sensor
launches what the decision's launcher did not, and repairs a claim whose launcher died."""

from __future__ import annotations

import pytest

from automation.launcher import run_now
from automation.resume import resume_pass, wait_for_continuations
from crm.workflows.approvals import approval_decide, suspension_claim
from crm.workflows.models import WorkflowApproval, WorkflowSuspension

from .test_approvals import _runs_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def decided(approval_workflow, make_user, tenant, monkeypatch):
    """A decided approval whose launcher "crashed" right after the decision committed."""
    monkeypatch.setattr("automation.resume.start_continuation_soon", lambda suspension_id: None)
    execution = run_now(workflow=approval_workflow, wait=True)
    approval = WorkflowApproval.objects.get()
    approval_decide(
        approval=approval, user=make_user(tenant, "approver"), role="approver",
        decision="approve", note="ok",
    )  # fmt: skip
    execution.refresh_from_db()
    assert execution.status == "waiting"
    return execution


def test_the_sensor_resumes_a_decision_whose_launcher_died(decided, http_counter):
    suspension = WorkflowSuspension.objects.get()
    assert suspension.state == "ready"
    assert resume_pass()["launched"] == [str(suspension.pk)]
    assert resume_pass()["launched"] == []  # claimed: never twice
    wait_for_continuations()
    decided.refresh_from_db()
    assert decided.status == "success"
    assert len(_runs_of(decided)) == 2
    assert resume_pass() == {"due": [], "launched": [], "repaired": [], "failed": []}
    assert http_counter.calls == 1


def test_a_claim_whose_launcher_died_is_repaired_with_the_same_run(decided, clock):
    suspension = WorkflowSuspension.objects.get()
    run_id = suspension_claim(suspension.pk)  # claimed, then the process died
    assert run_id and suspension_claim(suspension.pk) is None
    assert resume_pass()["repaired"] == []  # a fresh claim may still be launching
    clock.advance(minutes=2)
    assert resume_pass()["repaired"] == [str(suspension.pk)]
    wait_for_continuations()
    decided.refresh_from_db()
    assert decided.status == "success"
    assert decided.dagster_run_id == run_id
    assert [run.run_id for run in _runs_of(decided)][1:] == [run_id]
    clock.advance(minutes=2)
    assert resume_pass()["repaired"] == []


def test_concurrent_launchers_start_one_continuation(decided):
    from concurrent.futures import ThreadPoolExecutor

    from automation.resume import launch

    suspension = WorkflowSuspension.objects.get()
    with ThreadPoolExecutor(4) as pool:
        started = list(pool.map(lambda _: launch(str(suspension.pk)), range(4)))
    wait_for_continuations()
    assert len([run_id for run_id in started if run_id]) == 1
    decided.refresh_from_db()
    assert decided.status == "success" and len(_runs_of(decided)) == 2
