"""Approvals inside a for-each body: each item's approval is its own request; the loop's items
wait without holding a worker and the execution resumes once every one is decided (or
expired): the decided chunks' steps run again from the approval, each item goes on along its
own decision, nodes before the approval do not run again, and the loop collects once."""

from __future__ import annotations

from typing import Any

import pytest

from automation.launcher import run_now
from automation.resume import resume_pass, wait_for_continuations
from crm.records.models import Record
from crm.workflows.models import Task, WorkflowApproval, WorkflowSuspension
from tests.for_each.conftest import edge, node

from .test_approvals import _decide, _runs_of

pytestmark = pytest.mark.django_db(transaction=True)
DEALS = [{"name": "Ada"}, {"name": "Bob"}, {"name": "Cy"}]


def loop_approval_definition(url: str, approval: dict[str, Any] | None = None) -> dict:
    """trigger -> for-each deal (2 per chunk): HTTP call -> approval -> approved: record /
    rejected: task / expired: task; after the loop a task with the counts."""
    config = {
        "title": "Approve {{ item.name }}",
        "data": "{{ nodes.call.body }}",
        "assign_to_role": "approver",
        **(approval or {}),
    }
    return {
        "nodes": [
            node("start", "trigger", {"sample_payload": {"deals": DEALS}}),
            node("each", "for_each", {"items": "{{ trigger.deals }}", "batch_size": 2}),
            node("call", "http_request", {"url": url}, parent="each"),
            node("approve", "approval", config, parent="each"),
            node("keep", "record_create",
                 {"pipeline": "deals", "data": {"title": "{{ item.name }}"}}, parent="each"),
            node("drop", "task_notify",
                 {"title": "dropped {{ item.name }}", "assign_to_role": "editor"}, parent="each"),
            node("late", "task_notify",
                 {"title": "late {{ item.name }}", "assign_to_role": "editor"}, parent="each"),
            node("after", "task_notify", {
                "title": "{{ nodes.each.succeeded }} of {{ nodes.each.count }} done",
                "assign_to_role": "editor",
            }),
        ],
        "edges": [
            edge("start", "each"), edge("each", "call", "item"), edge("call", "approve"),
            edge("approve", "keep", "approved"), edge("approve", "drop", "rejected"),
            edge("approve", "late", "expired"), edge("each", "after", "done"),
        ],
    }  # fmt: skip


def _suspended(workflow):
    execution = run_now(workflow=workflow, wait=True)
    assert execution.status == "waiting", execution.error_message
    return execution


def _approval(execution, name: str) -> WorkflowApproval:
    return WorkflowApproval.objects.get(execution=execution, title=f"Approve {name}")


def test_each_item_asks_and_the_loop_collects_once_all_are_decided(
    publish, http_counter, deals, client_for, tenant
):
    workflow = publish(loop_approval_definition(http_counter.url), name="Deal approvals")
    execution = _suspended(workflow)
    first_run = execution.dagster_run_id
    # One request (and inbox task) per item, each with that item's data; nothing after waits.
    approvals = WorkflowApproval.objects.filter(execution=execution)
    assert sorted(a.title for a in approvals) == ["Approve Ada", "Approve Bob", "Approve Cy"]
    assert sorted(a.approval_data["call"] for a in approvals) == [1, 2, 3]
    assert Task.objects.filter(title__startswith="Approval needed", status="open").count() == 3
    assert sorted(WorkflowSuspension.objects.values_list("item_key", "step_key")) == [
        ("0", "approve[chunk_0]"),
        ("1", "approve[chunk_0]"),
        ("2", "approve[chunk_1]"),
    ]
    assert execution.logs.get(node_id="each", item_index__isnull=True).status == "waiting"
    approver = client_for(tenant, "approver")
    mine = approver.call("get", "/api/approvals?mine=true").json()
    assert sorted((a["title"], a["item_index"]) for a in mine["items"]) == [
        ("Approve Ada", 0), ("Approve Bob", 1), ("Approve Cy", 2),
    ]  # fmt: skip
    assert not Record.objects.exists()

    assert _decide(approver, _approval(execution, "Ada"), note="yes").status_code == 200
    assert _decide(approver, _approval(execution, "Cy"), "reject").status_code == 200
    wait_for_continuations()
    assert resume_pass()["launched"] == []  # Bob is still undecided: nothing resumes yet
    execution.refresh_from_db()
    assert execution.status == "waiting" and execution.dagster_run_id == first_run
    # Only Bob's task is still open: deciding one item closes that item's task alone.
    assert Task.objects.filter(title__startswith="Approval needed", status="open").count() == 1

    assert _decide(approver, _approval(execution, "Bob"), note="fine").status_code == 200
    wait_for_continuations()
    execution.refresh_from_db()
    assert execution.status == "success", execution.error_message
    # Each item went its own way, once; the calls before the approval were not repeated.
    assert sorted(Record.objects.values_list("data__title", flat=True)) == ["Ada", "Bob"]
    assert Task.objects.filter(title="dropped Cy").count() == 1
    assert not Task.objects.filter(title__startswith="late").exists()
    assert Task.objects.filter(title="3 of 3 done").count() == 1
    assert http_counter.calls == 3
    results = execution.logs.get(node_id="each", item_index__isnull=True).output_data
    assert results == {"count": 3, "succeeded": 3, "failed": 0}
    decisions = execution.logs.filter(node_id="approve", status="success")
    assert sorted((log.item_index, log.output_handle) for log in decisions) == [
        (0, "approved"), (1, "approved"), (2, "rejected"),
    ]  # fmt: skip
    # One continuation for both chunks, linked to the first run in the Dagster UI.
    runs = _runs_of(execution)
    assert [run.run_id for run in runs] == [first_run, execution.dagster_run_id]
    assert runs[1].parent_run_id == first_run and runs[1].status.value == "SUCCESS"
    assert set(WorkflowSuspension.objects.values_list("state", flat=True)) == {"resumed"}


def test_an_item_whose_approval_expires_takes_expired(
    publish, http_counter, deals, client_for, tenant, clock
):
    definition = loop_approval_definition(http_counter.url, {"expires_in_hours": 1})
    execution = _suspended(publish(definition, name="Expiring deal approvals"))
    approver = client_for(tenant, "approver")
    for name in ("Ada", "Bob"):
        assert _decide(approver, _approval(execution, name)).status_code == 200
    wait_for_continuations()
    execution.refresh_from_db()
    assert execution.status == "waiting"
    clock.advance(hours=2)
    assert len(resume_pass()["due"]) == 1  # Cy's request expired: the loop may go on
    wait_for_continuations()
    execution.refresh_from_db()
    assert execution.status == "success", execution.error_message
    assert sorted(Record.objects.values_list("data__title", flat=True)) == ["Ada", "Bob"]
    assert Task.objects.filter(title="late Cy").count() == 1
    assert http_counter.calls == 3


def test_long_waits_in_a_loop_resume_together_when_due(publish, http_counter, deals, clock):
    definition = {
        "nodes": [
            node("start", "trigger", {"sample_payload": {"deals": DEALS[:2]}}),
            node("each", "for_each", {"items": "{{ trigger.deals }}"}),
            node("call", "http_request", {"url": http_counter.url}, parent="each"),
            node("nap", "wait_delay", {"hours": 2}, parent="each"),
            node("keep", "record_create",
                 {"pipeline": "deals", "data": {"title": "{{ item.name }}"}}, parent="each"),
        ],
        "edges": [edge("start", "each"), edge("each", "call", "item"), edge("call", "nap"),
                  edge("nap", "keep")],
    }  # fmt: skip
    execution = _suspended(publish(definition, name="Slow loop"))
    assert WorkflowSuspension.objects.filter(kind="wait", state="waiting").count() == 2
    clock.advance(hours=1)
    assert resume_pass()["due"] == []
    clock.advance(hours=1, seconds=1)
    assert len(resume_pass()["due"]) == 2
    wait_for_continuations()
    execution.refresh_from_db()
    assert execution.status == "success", execution.error_message
    assert sorted(Record.objects.values_list("data__title", flat=True)) == ["Ada", "Bob"]
    assert http_counter.calls == 2
    assert len(_runs_of(execution)) == 2


def test_an_approval_in_a_nested_loop_is_a_clear_node_error(publish, http_counter, deals):
    definition = {
        "nodes": [
            node("start", "trigger", {"sample_payload": {"deals": DEALS[:1]}}),
            node("outer", "for_each", {"items": "{{ trigger.deals }}"}),
            node("inner", "for_each", {"items": "{{ [1, 2] }}"}, parent="outer"),
            node("approve", "approval", {"title": "t", "assign_to_role": "approver"},
                 parent="inner"),
        ],
        "edges": [edge("start", "outer"), edge("outer", "inner", "item"),
                  edge("inner", "approve", "item")],
    }  # fmt: skip
    execution = run_now(workflow=publish(definition, name="Nested approval"), wait=True)
    assert execution.status == "failed"
    failed = execution.logs.filter(node_id="approve", status="failed").first()
    assert failed is not None
    assert failed.error_details["error_type"] == "suspension_not_supported"
    assert "nested for-each" in failed.error_details["message"]
    assert not WorkflowApproval.objects.exists() and not WorkflowSuspension.objects.exists()
