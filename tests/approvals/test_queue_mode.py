"""With AUTOMATION_RUN_NOW=queue (production) a decision creates the continuation run and
submits it to the instance's run coordinator: the run queue, with its per-tenant limits."""

from __future__ import annotations

import pytest

from automation.instance import get_instance
from automation.launcher import run_now
from automation.resume import wait_for_continuations
from crm.workflows.approvals import approval_decide
from crm.workflows.models import WorkflowApproval, WorkflowSuspension

pytestmark = pytest.mark.django_db(transaction=True)

QUEUED_INSTANCE = """
telemetry:
  enabled: false
run_coordinator:
  module: dagster._core.run_coordinator
  class: QueuedRunCoordinator
"""


@pytest.fixture
def queued_instance(tmp_path, monkeypatch):
    (tmp_path / "dagster.yaml").write_text(QUEUED_INSTANCE)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    yield get_instance()
    wait_for_continuations()


def test_a_decision_queues_the_continuation(queued_instance, approval_workflow, make_user,
                                            tenant, monkeypatch):  # fmt: skip
    execution = run_now(workflow=approval_workflow, wait=True)  # inline, on this instance
    assert execution.status == "waiting"
    first = execution.dagster_run_id
    monkeypatch.setenv("AUTOMATION_RUN_NOW", "queue")
    approval_decide(
        approval=WorkflowApproval.objects.get(), user=make_user(tenant, "approver"),
        role="approver", decision="approve",
    )  # fmt: skip
    wait_for_continuations()
    suspension = WorkflowSuspension.objects.get()
    assert suspension.state == "resuming"
    run = queued_instance.get_run_by_id(suspension.continuation_run_id)
    assert run.status.value == "QUEUED"  # the daemon launches it, within the tenant's limits
    assert run.parent_run_id == first
    assert run.tags["crm/execution_id"] == str(execution.pk) and run.tags["tenant"] == "acme"
    assert set(run.step_keys_to_execute) == {"approve", "yes", "no", "late"}
    assert run.remote_job_origin.location_name == "automation"
    execution.refresh_from_db()
    assert execution.status == "waiting"  # until the continuation's approval step runs
