"""Approval nodes suspend the execution without holding a worker; a decision through the API
(or the expiry) resumes it from the approval node in a continuation run, upstream nodes are
not run again, and the execution reads as one story."""

from __future__ import annotations

import pytest

from automation.instance import get_instance
from automation.launcher import run_now
from automation.resume import resume_pass, wait_for_continuations
from crm.records.models import Record
from crm.workflows.models import Task, WorkflowApproval, WorkflowSuspension

from .conftest import approval_definition

pytestmark = pytest.mark.django_db(transaction=True)
UPSTREAM = {"start", "call", "write"}


def _logs(execution):
    return list(
        execution.logs.order_by("node_id", "attempt").values_list("node_id", "attempt", "status")
    )


def _decide(client, approval, decision="approve", note=""):
    return client.call(
        "post", f"/api/approvals/{approval.pk}/decide", {"decision": decision, "note": note}
    )


def _suspended(workflow):
    """Run the workflow until its approval suspends it; returns (execution, approval)."""
    execution = run_now(workflow=workflow, wait=True)
    assert execution.status == "waiting", execution.error_message
    return execution, WorkflowApproval.objects.get(execution=execution)


def _runs_of(execution):
    from dagster import RunsFilter

    records = get_instance().get_run_records(
        RunsFilter(tags={"crm/execution_id": str(execution.pk)})
    )
    return [record.dagster_run for record in sorted(records, key=lambda r: r.create_timestamp)]


def test_suspends_without_holding_a_worker(approval_workflow, http_counter):
    execution, approval = _suspended(approval_workflow)
    run = get_instance().get_run_by_id(execution.dagster_run_id)
    assert run.status.value == "SUCCESS"  # the run ended: no step, thread or process waits
    wait_for_continuations(timeout_s=1)  # nothing of this execution is running in the pool
    assert execution.completed_at is None
    statuses = {node: status for node, _, status in _logs(execution)}
    assert statuses == {"start": "success", "call": "success", "write": "success",
                        "approve": "waiting"}  # fmt: skip
    waiting = execution.logs.get(node_id="approve")
    assert waiting.output_data["approval_id"] == str(approval.pk)
    assert waiting.execution_details["suspended"] == "approval"
    assert approval.title == "Approve the quote for Ada"
    assert approval.description == "Amount 5000"
    assert approval.approval_data == {"call": 1, "amount": 5000}
    assert approval.assigned_role == "approver"
    inbox = Task.objects.get(execution=execution)
    assert (inbox.title, inbox.assigned_role, inbox.status) == (
        "Approval needed: Approve the quote for Ada",
        "approver",
        "open",
    )
    suspension = WorkflowSuspension.objects.get(execution=execution)
    assert (suspension.parent_run_id, suspension.step_key) == (run.run_id, "approve")
    assert http_counter.calls == 1


def test_approve_resumes_the_approved_branch_once(approval_workflow, http_counter, client_for,
                                                  tenant):  # fmt: skip
    execution, approval = _suspended(approval_workflow)
    first_run = execution.dagster_run_id
    approver = client_for(tenant, "approver")
    response = _decide(approver, approval, note="looks fine")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    assert response.json()["decided_by"] == "acme_approver"
    wait_for_continuations()

    execution.refresh_from_db()
    assert execution.status == "success" and execution.completed_at is not None
    assert execution.dagster_run_id != first_run
    # Upstream nodes ran once: one HTTP call, one record, one log each.
    assert http_counter.calls == 1
    assert Record.objects.count() == 1
    assert _logs(execution) == [
        ("approve", 1, "waiting"),
        ("approve", 2, "success"),
        ("call", 1, "success"),
        ("late", 1, "skipped"),
        ("no", 1, "skipped"),
        ("start", 1, "success"),
        ("write", 1, "success"),
        ("yes", 1, "success"),
    ]
    decided = execution.logs.get(node_id="approve", attempt=2)
    assert decided.output_handle == "approved"
    output = decided.output_data
    assert (output["decision"], output["approved"], output["decided_by"], output["note"]) == (
        "approved",
        True,
        "acme_approver",
        "looks fine",
    )
    assert output["decided_at"]
    assert Task.objects.filter(title="approved by acme_approver: looks fine").exists()
    assert Task.objects.get(title__startswith="Approval needed").status == "done"

    # Dagster: the continuation is a re-execution of the first run from the approval node.
    runs = _runs_of(execution)
    assert [run.run_id for run in runs] == [first_run, execution.dagster_run_id]
    second = runs[1]
    assert second.status.value == "SUCCESS"
    assert second.parent_run_id == first_run and second.root_run_id == first_run
    assert second.tags["crm/execution_id"] == str(execution.pk)
    assert second.tags["crm/resumed_node"] == "approve"
    assert second.tags["crm/resumed_by"] == "approved"
    assert second.tags["tenant"] == "acme"
    assert second.remote_job_origin.job_name == "acme__quote_approval"
    executed = {stat.step_key for stat in get_instance().get_run_step_stats(second.run_id)}
    assert not executed & UPSTREAM
    assert {"approve", "yes"} <= executed


def test_reject_takes_the_rejected_branch(approval_workflow, http_counter, client_for, tenant):
    execution, approval = _suspended(approval_workflow)
    response = _decide(client_for(tenant, "approver"), approval, "reject", note="too expensive")
    assert response.status_code == 200, response.content
    wait_for_continuations()
    execution.refresh_from_db()
    assert execution.status == "success"
    statuses = dict(execution.logs.filter(attempt=1).values_list("node_id", "status"))
    assert statuses["no"] == "success"
    assert statuses["yes"] == statuses["late"] == "skipped"
    decided = execution.logs.get(node_id="approve", attempt=2)
    assert decided.output_handle == "rejected"
    assert decided.output_data["approved"] is False
    assert decided.output_data["note"] == "too expensive"
    assert http_counter.calls == 1 and Record.objects.count() == 1


def test_who_may_decide(publish, http_counter, deals, client_for, tenant, other_tenant):
    workflow = publish(approval_definition(http_counter.url, {
        "assign_to_role": None, "assign_to_user": "acme_boss",
    }))  # fmt: skip
    boss = client_for(tenant, "approver", username="acme_boss")
    execution, approval = _suspended(workflow)
    assert approval.assigned_to.username == "acme_boss"

    viewer = client_for(tenant, "viewer")
    response = _decide(viewer, approval)
    assert response.status_code == 403
    assert "'approval.decide' permission" in response.json()["detail"]
    for role in ("approver", "admin"):  # may decide approvals, but not this one
        response = _decide(client_for(tenant, role), approval)
        assert response.status_code == 403, role
        assert "assignee" in response.json()["detail"]
    stranger = client_for(other_tenant, "admin", username="globex_admin")
    assert _decide(stranger, approval).status_code == 404
    assert stranger.get(f"/api/approvals/{approval.pk}").status_code == 404

    assert _decide(boss, approval, "reject", note="no").status_code == 200
    second = _decide(boss, approval, "approve", note="changed my mind")
    assert second.status_code == 409
    assert "already rejected" in second.json()["detail"]
    wait_for_continuations()
    approval.refresh_from_db()
    assert (approval.approved, approval.approval_notes) == (False, "no")
    execution.refresh_from_db()
    assert execution.status == "success"
    assert len(_runs_of(execution)) == 2  # one continuation, for the one decision


def test_a_role_member_may_decide_and_my_pending_list(approval_workflow, client_for, tenant,
                                                      other_tenant):  # fmt: skip
    execution, approval = _suspended(approval_workflow)
    approver = client_for(tenant, "approver")
    other_approver = client_for(tenant, "approver", username="acme_approver2")
    viewer = client_for(tenant, "viewer")
    admin = client_for(tenant, "admin")
    mine = approver.get("/api/approvals?mine=true").json()
    assert [item["id"] for item in mine["items"]] == [str(approval.pk)]
    assert mine["items"][0]["can_decide"] is True
    assert other_approver.get("/api/approvals?mine=true").json()["count"] == 1
    assert viewer.get("/api/approvals?mine=true").json()["count"] == 0
    assert admin.get("/api/approvals?mine=true").json()["count"] == 0  # assigned to approvers
    listed = viewer.get("/api/approvals").json()
    assert listed["count"] == 1 and listed["items"][0]["can_decide"] is False
    assert listed["items"][0]["data"] == {"call": 1, "amount": 5000}
    outsider = client_for(other_tenant, "approver", username="globex_approver")
    assert outsider.get("/api/approvals").json()["count"] == 0

    assert _decide(other_approver, approval).status_code == 200
    wait_for_continuations()
    assert approver.get("/api/approvals?mine=true").json()["count"] == 0
    assert approver.get("/api/approvals?status=approved").json()["count"] == 1
    detail = approver.get(f"/api/approvals/{approval.pk}").json()
    assert detail["status"] == "approved" and detail["decided_by"] == "acme_approver2"


def test_expiry_takes_the_expired_branch(publish, http_counter, deals, client_for, tenant,
                                         clock):  # fmt: skip
    workflow = publish(approval_definition(http_counter.url, {"expires_in_hours": 24}))
    execution, approval = _suspended(workflow)
    assert approval.expires_at is not None
    assert resume_pass()["due"] == []  # not yet
    clock.advance(hours=25)
    done = resume_pass()
    assert done["due"] == done["launched"] == [str(approval.suspension.pk)]
    wait_for_continuations()
    execution.refresh_from_db()
    assert execution.status == "success"
    decided = execution.logs.get(node_id="approve", attempt=2)
    assert decided.output_handle == "expired"
    assert decided.output_data["decision"] == "expired"
    assert decided.output_data["decided_by"] is None
    statuses = dict(execution.logs.filter(attempt=1).values_list("node_id", "status"))
    assert statuses["late"] == "success" and statuses["yes"] == statuses["no"] == "skipped"
    assert http_counter.calls == 1
    response = _decide(client_for(tenant, "approver"), approval)
    assert response.status_code == 409
    assert (
        client_for(tenant, "viewer", username="v")
        .get(f"/api/approvals/{approval.pk}")
        .json()["status"]
        == "expired"
    )
    assert resume_pass() == {"due": [], "launched": [], "repaired": [], "failed": []}


def test_a_decision_after_the_expiry_is_refused_and_expires_it(
    publish, http_counter, deals, client_for, tenant, clock
):
    workflow = publish(approval_definition(http_counter.url, {"expires_in_hours": 1}))
    execution, approval = _suspended(workflow)
    clock.advance(hours=2)
    response = _decide(client_for(tenant, "approver"), approval)
    assert response.status_code == 409 and "expired" in response.json()["detail"]
    wait_for_continuations()
    execution.refresh_from_db()
    assert execution.status == "success"
    assert execution.logs.get(node_id="approve", attempt=2).output_handle == "expired"
    approval.refresh_from_db()
    assert approval.approved is None
