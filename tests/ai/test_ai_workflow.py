"""A workflow with an AI classification branching to two task_notify nodes, run for real.

Contract: run through `run_graph_in_process` (Dagster in process, CRM execution logs), the
classification node goes out on the label's handle, only that branch's task is created,
the execution log shows the node's label, model and usage, usage rows carry the execution
and node ids; a failing AI call fails the node as transient "ai_unavailable"; the API key is
in no Dagster event and no execution log.
"""

from __future__ import annotations

import json

import pytest
from dagster import DagsterInstance

from automation.run_local import run_graph_in_process
from crm.ai.models import AIUsage
from crm.workflows.models import Task, WorkflowExecutionLog
from tests.automation.conftest import edge, graph_of, node

from .conftest import API_KEY

pytestmark = pytest.mark.django_db(transaction=True)


def _graph():
    return graph_of({
        "nodes": [
            node("start", "trigger", {"sample_payload": {"message": "hello"}}),
            node("classify", "ai_classification", {
                "text": "{{ trigger.message }}",
                "labels": [
                    {"name": "hot_lead", "description": "wants to buy, budget approved"},
                    {"name": "support", "description": "bug, broken, help"},
                ],
            }),
            node("sales_task", "task_notify", {
                "title": "Call {{ trigger.who }} ({{ nodes.classify.label }})",
                "assign_to_role": "editor",
            }),
            node("support_task", "task_notify", {
                "title": "Help {{ trigger.who }}", "assign_to_role": "editor",
            }),
        ],
        "edges": [
            edge("start", "classify"),
            edge("classify", "sales_task", "hot_lead"),
            edge("classify", "support_task", "support"),
        ],
    })


def _all_text(instance: DagsterInstance, execution_id: str) -> str:
    events = [entry for run in instance.get_runs() for entry in instance.all_logs(run.run_id)]
    assert events
    logs = WorkflowExecutionLog.objects.filter(execution_id=execution_id).values()
    return "\n".join([repr(e) for e in events] + [json.dumps(list(logs), default=str)])


def test_classification_branches_to_the_label(ai_tenant, model_server) -> None:
    instance = DagsterInstance.ephemeral()
    summary = run_graph_in_process(
        _graph(), tenant_slug="acme", workflow_name="Lead router", instance=instance,
        payload={"message": "Budget approved, they want to buy", "who": "Ada"},
    )
    assert summary["status"] == "success", summary
    classify = summary["nodes"]["classify"]
    assert (classify["status"], classify["handle"]) == ("success", "hot_lead")
    assert classify["output"]["label"] == "hot_lead"
    assert classify["output"]["model"] == "local-echo"
    assert classify["output"]["usage"]["total_tokens"] > 0
    assert summary["nodes"]["sales_task"]["status"] == "success"
    assert summary["nodes"].get("support_task", {}).get("status") != "success"
    assert list(Task.objects.values_list("title", flat=True)) == ["Call Ada (hot_lead)"]
    row = AIUsage.objects.get(tenant=ai_tenant)
    assert (row.execution_id, row.node_id) == (summary["execution_id"], "classify")
    text = _all_text(instance, summary["execution_id"])
    assert "hot_lead" in text and API_KEY not in text


def test_ai_failure_fails_the_node_as_transient(ai_tenant, model_server) -> None:
    instance = DagsterInstance.ephemeral()
    model_server.control(fail_next=[500] * 4)  # the resource tries 4 times
    summary = run_graph_in_process(
        _graph(), tenant_slug="acme", workflow_name="Lead router", instance=instance,
        payload={"message": "broken", "who": "Bo"},
    )
    assert summary["status"] == "failed"
    error = summary["nodes"]["classify"]["error"]
    assert (error["error_type"], error["transient"]) == ("ai_unavailable", True)
    assert "HTTP 500" in error["message"] and not Task.objects.exists()
    assert API_KEY not in _all_text(instance, summary["execution_id"])
