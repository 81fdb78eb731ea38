"""Execution recording: runs and node logs are mirrored with durations; large outputs are
capped at 64 KiB with a preview; finishing fills in "skipped" logs for nodes that never ran."""

import json

import pytest

from crm.tenants.errors import NotAMember
from crm.workflows.executions import OUTPUT_CAP_BYTES
from crm.workflows.selectors import execution_find_by_run_id, execution_get, execution_logs
from crm.workflows.services import (
    execution_create,
    execution_finish,
    execution_start,
    node_log_finish,
    node_log_start,
    task_create,
    workflow_create,
)

NODES = {
    "trigger": ("trigger", "Start"),
    "check": ("condition", "Big deal?"),
    "yes": ("task_notify", "Tell sales"),
    "no": ("task_notify", "Tell nobody"),
}


@pytest.fixture
def execution(tenant):
    workflow = workflow_create(tenant=tenant, name="W")
    return execution_create(
        tenant=tenant, workflow=workflow, source="manual", trigger_data={"amount": 5}
    )


def log(execution, node_id, **kwargs):
    node_type, label = NODES[node_id]
    return node_log_start(
        execution_id=execution.pk,
        node_id=node_id,
        node_type=node_type,
        node_name=label,
        attempt=1,
        input_data={"x": 1},
        **kwargs,
    )


@pytest.mark.django_db
def test_start_is_idempotent_and_findable_by_run(execution):
    assert execution.status == "pending"
    execution_start(execution_id=execution.pk, dagster_run_id="run-1")
    execution_start(execution_id=execution.pk, dagster_run_id="run-1")
    assert execution_get(execution_id=execution.pk).status == "running"
    assert execution_find_by_run_id(dagster_run_id="run-1") == execution
    execution_start(execution_id=execution.pk, dagster_run_id="run-2")  # resumed elsewhere
    assert execution_find_by_run_id(dagster_run_id="run-2") == execution
    assert execution_find_by_run_id(dagster_run_id="run-1") is None


@pytest.mark.django_db
def test_node_log_records_output_and_duration(execution):
    entry = log(execution, "check", item_index=3)
    assert entry.status == "running" and entry.started_at is not None
    done = node_log_finish(
        log_id=entry.pk, status="success", output_data={"ok": True}, output_handle="true"
    )
    assert done.status == "success" and done.completed_at >= done.started_at
    assert done.duration_ms is not None and done.duration_ms >= 0
    assert (done.output_data, done.output_handle, done.item_index) == ({"ok": True}, "true", 3)


@pytest.mark.django_db
def test_large_output_is_capped_with_preview(execution):
    big = {"rows": ["x" * 1000 for _ in range(100)]}
    size = len(json.dumps(big).encode())
    entry = node_log_finish(log_id=log(execution, "check").pk, status="success", output_data=big)
    stored = execution_logs(execution_id=execution.pk)[0].output_data
    assert stored["_truncated"] is True and stored["size"] == size
    assert len(stored["preview"].encode()) == OUTPUT_CAP_BYTES
    assert json.dumps(big).startswith(stored["preview"])
    assert entry.output_data == stored


@pytest.mark.django_db
def test_output_at_the_cap_is_kept_whole(execution):
    exact = "y" * (OUTPUT_CAP_BYTES - 2)  # json text = quotes + characters = 64 KiB
    entry = node_log_finish(log_id=log(execution, "check").pk, status="success", output_data=exact)
    assert entry.output_data == exact


@pytest.mark.django_db
def test_finish_fills_in_skipped_nodes(execution):
    for node_id in ("trigger", "check", "yes"):
        node_log_finish(log_id=log(execution, node_id).pk, status="success")
    execution_finish(execution_id=execution.pk, status="success", node_ids=NODES)
    execution_finish(execution_id=execution.pk, status="success", node_ids=NODES)  # twice
    logs = execution_logs(execution_id=execution.pk)
    assert [(entry.node_id, entry.status) for entry in logs] == [
        ("trigger", "success"),
        ("check", "success"),
        ("yes", "success"),
        ("no", "skipped"),
    ]
    assert (logs[-1].node_type, logs[-1].node_name) == ("task_notify", "Tell nobody")
    finished = execution_get(execution_id=execution.pk)
    assert finished.status == "success" and finished.completed_at is not None


@pytest.mark.django_db
def test_waiting_execution_is_not_completed(execution):
    log(execution, "trigger")
    execution_finish(execution_id=execution.pk, status="waiting", node_ids=NODES)
    assert execution_get(execution_id=execution.pk).completed_at is None
    assert [entry.node_id for entry in execution_logs(execution_id=execution.pk)] == ["trigger"]


@pytest.mark.django_db
def test_failed_execution_keeps_its_error(execution):
    execution_finish(execution_id=execution.pk, status="failed", error_message="boom")
    assert execution_get(execution_id=execution.pk).error_message == "boom"
    with pytest.raises(ValueError, match="unknown status"):
        execution_finish(execution_id=execution.pk, status="exploded")


@pytest.mark.django_db
def test_execution_refuses_another_tenants_workflow(execution, other_tenant):
    with pytest.raises(ValueError, match="another tenant"):
        execution_create(
            tenant=other_tenant, workflow=execution.workflow, source="manual", trigger_data={}
        )


@pytest.mark.django_db
def test_task_for_a_member_or_a_role(execution, tenant, other_tenant, make_user):
    editor = make_user(tenant, "editor")
    task = task_create(
        tenant=tenant, title="Call", assigned_to=editor, execution_id=execution.pk, node_id="yes"
    )
    assert (task.assigned_to, task.execution, task.status) == (editor, execution, "open")
    by_role = task_create(
        tenant=tenant, title="Review", assigned_role="approver", kind="notification"
    )
    assert (by_role.assigned_role, by_role.kind) == ("approver", "notification")
    outsider = make_user(other_tenant, "editor")
    with pytest.raises(NotAMember):
        task_create(tenant=tenant, title="Leak", assigned_to=outsider)
    with pytest.raises(ValueError, match="needs an assignee"):
        task_create(tenant=tenant, title="Nobody")
    with pytest.raises(ValueError, match="does not exist in this tenant"):
        task_create(
            tenant=other_tenant, title="X", assigned_role="viewer", execution_id=execution.pk
        )


@pytest.mark.django_db
def test_item_logs_store_values_as_given_capped_and_continue_attempts(execution):
    """Per-item logs (written in bulk without model instances on SQLite) read back like any
    node log: JSON values as given (non-ASCII included), None kept, large outputs capped,
    and a re-executed item's attempts continuing the earlier count."""
    from crm.workflows.item_logs import node_item_logs_create

    big = {"rows": ["x" * 1000 for _ in range(100)]}

    def row(index, attempt, status, output, error=None):
        return {
            "node_id": "check", "node_type": "condition", "node_name": "Big deal?",
            "item_index": index, "attempt": attempt, "status": status,
            "started": 1_700_000_000.0, "ended": 1_700_000_000.25,
            "input": {"name": "Zoë ✓"}, "output": output, "handle": "true" if output else "",
            "error": error, "details": {"item": str(index)},
        }

    assert node_item_logs_create(execution_id=execution.pk, rows=[
        row(0, 1, "success", {"label": "héllo", "n": 1.5}),
        row(1, 1, "failed", None, {"message": "boom"}),
        row(2, 1, "success", big),
    ]) == 3
    node_item_logs_create(execution_id=execution.pk, rows=[row(1, 1, "success", {"ok": True})])
    logs = {
        (entry.item_index, entry.attempt): entry
        for entry in execution_logs(execution_id=execution.pk)
    }
    assert sorted(logs) == [(0, 1), (1, 1), (1, 2), (2, 1)]
    first = logs[(0, 1)]
    assert (first.input_data, first.output_data, first.output_handle) == (
        {"name": "Zoë ✓"}, {"label": "héllo", "n": 1.5}, "true"
    )
    assert first.duration_ms == 250 and first.execution_details == {"item": "0"}
    assert first.completed_at.timestamp() == 1_700_000_000.25
    failed = logs[(1, 1)]
    assert (failed.status, failed.output_data, failed.error_details) == (
        "failed", None, {"message": "boom"}
    )
    assert logs[(1, 2)].output_data == {"ok": True}
    capped = logs[(2, 1)].output_data
    assert capped["_truncated"] is True and capped["size"] == len(json.dumps(big).encode())
