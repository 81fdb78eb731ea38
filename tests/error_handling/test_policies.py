"""on_error policies end to end on the real Dagster instance against a real HTTP server.

stop (default): the execution fails after the node's retries and nothing downstream runs.
continue: the node's output becomes the error object {message, error_type, node_id, attempt,
transient, input} and the flow goes on along its first handle; the execution succeeds.
branch: the error object goes down the node's extra "error" handle and its success handles are
skipped; a node where both ways meet runs once. The failed attempt is logged "failed" with the
outcome in execution_details; stack traces stay in the log's error_details, never downstream.
"""

from __future__ import annotations

import dataclasses

import pytest

from crm.workflows.models import Task

from .conftest import (
    call,
    edge,
    graph_of,
    logs_of,
    node,
    note,
    run_definition,
    run_graph,
    statuses,
)

pytestmark = pytest.mark.django_db(transaction=True)
ERROR_KEYS = {"message", "error_type", "node_id", "attempt", "transient", "input"}


def _call_then_note(url: str, settings: dict | None) -> dict:
    return {
        "nodes": [
            node("start", "trigger"),
            node("call", "http_request", call(url), settings),
            node("after", "task_notify", note("after: {{ nodes.call.message | default('ok') }}")),
        ],
        "edges": [edge("start", "call"), edge("call", "after")],
    }


def test_stop_is_the_default_and_fails_the_execution(local_tenant, server):
    url = server.always("down", 400)
    execution, result = run_definition(local_tenant, _call_then_note(url, None))
    assert not result.success
    assert execution.status == "failed"
    assert statuses(execution) == {"start": "success", "call": "failed", "after": "skipped"}
    [log] = logs_of(execution, "call")
    assert log.execution_details == {"on_error": "stop", "outcome": "stop"}
    assert log.error_details["error_type"] == "http_status"
    assert log.output_data is None
    assert not Task.objects.exists()


def test_continue_passes_the_error_object_on_and_the_execution_succeeds(local_tenant, server):
    url = server.always("down", 400)
    definition = _call_then_note(url, {"on_error": "continue"})
    execution, result = run_definition(local_tenant, definition)
    assert result.success and execution.status == "success"
    [log] = logs_of(execution, "call")
    assert log.status == "failed"
    assert log.output_handle == "out"
    assert log.execution_details == {"on_error": "continue", "outcome": "continue"}
    error = log.output_data
    assert set(error) == ERROR_KEYS
    assert error["error_type"] == "http_status" and error["node_id"] == "call"
    assert error["attempt"] == 1 and error["transient"] is False
    assert error["input"]["url"] == url
    assert "HTTP 400" in error["message"]
    assert Task.objects.get().title.startswith("after: HTTP 400")
    assert statuses(execution)["after"] == "success"


def test_continue_on_success_is_a_plain_success(local_tenant, server):
    execution, _ = run_definition(
        local_tenant, _call_then_note(server.url("fine"), {"on_error": "continue"})
    )
    assert execution.status == "success"
    [log] = logs_of(execution, "call")
    assert (log.status, log.output_handle, log.execution_details) == ("success", "out", {})
    assert Task.objects.get().title == "after: ok"


def _branching(url: str, *, merge: bool) -> dict:
    nodes = [
        node("start", "trigger"),
        node("call", "http_request", call(url), {"on_error": "branch"}),
        node("ok", "task_notify", note("ok {{ nodes.call.status_code }}")),
        node("alert", "task_notify", note("alert {{ nodes.call.error_type }}")),
    ]
    edges = [edge("start", "call"), edge("call", "ok"), edge("call", "alert", "error")]
    if merge:
        nodes.append(node("done", "task_notify", note("done")))
        edges += [edge("ok", "done"), edge("alert", "done")]
    return {"nodes": nodes, "edges": edges}


def test_branch_sends_the_error_down_the_error_handle_and_skips_success(local_tenant, server):
    execution, result = run_definition(
        local_tenant, _branching(server.always("b", 503), merge=False)
    )
    assert result.success and execution.status == "success"
    assert statuses(execution) == {
        "start": "success",
        "call": "failed",
        "ok": "skipped",
        "alert": "success",
    }
    [log] = logs_of(execution, "call")
    assert log.output_handle == "error"
    assert log.execution_details == {"on_error": "branch", "outcome": "branch"}
    assert list(Task.objects.values_list("title", flat=True)) == ["alert http_status"]
    state = result.output_for_node("call", "error")
    assert state["nodes"]["call"]["transient"] is True
    skipped = {e.step_key for e in result.all_events if e.event_type_value == "STEP_SKIPPED"}
    assert skipped == {"ok"}


def test_branch_takes_the_success_handle_when_the_node_succeeds(local_tenant, server):
    execution, _ = run_definition(local_tenant, _branching(server.url("b"), merge=False))
    assert statuses(execution) == {
        "start": "success",
        "call": "success",
        "ok": "success",
        "alert": "skipped",
    }
    assert list(Task.objects.values_list("title", flat=True)) == ["ok 200"]


@pytest.mark.parametrize("fails", [True, False], ids=["error-way", "success-way"])
def test_a_merge_after_a_branch_runs_once(local_tenant, server, fails):
    url = server.always("m", 500) if fails else server.url("m")
    execution, result = run_definition(local_tenant, _branching(url, merge=True))
    assert result.success and execution.status == "success"
    assert [log.status for log in logs_of(execution, "done")] == ["success"]
    titles = sorted(Task.objects.values_list("title", flat=True))
    assert titles == (["alert http_status", "done"] if fails else ["done", "ok 200"])


def test_continue_on_a_node_with_several_handles_goes_on_its_first(local_tenant):
    definition = {
        "nodes": [
            node("start", "trigger"),
            node(
                "check",
                "condition",
                {"rules": [{"left": "{{ trigger.missing }}", "operator": "==", "right": 1}]},
                {"on_error": "continue"},
            ),
            node("yes", "task_notify", note("yes: {{ nodes.check.error_type }}")),
            node("no", "task_notify", note("no")),
        ],
        "edges": [
            edge("start", "check"),
            edge("check", "yes", "true"),
            edge("check", "no", "false"),
        ],
    }
    execution, _ = run_definition(local_tenant, definition)
    assert execution.status == "success"
    assert logs_of(execution, "check")[0].output_handle == "true"
    assert list(Task.objects.values_list("title", flat=True)) == ["yes: expression_error"]


def test_stack_traces_stay_in_the_log_and_never_flow_downstream(local_tenant, server):
    graph = graph_of(_call_then_note(server.url("x"), {"on_error": "continue"}))

    def crash(ctx, config):
        raise RuntimeError("the resource crashed")

    target = graph.nodes["call"]
    target.node_type = dataclasses.replace(target.node_type, run=crash)
    execution, _ = run_graph(local_tenant, graph)
    assert execution.status == "success"
    [log] = logs_of(execution, "call")
    assert log.error_details["error_type"] == "RuntimeError"
    assert "Traceback" in log.error_details["stack"]
    assert "stack" not in log.output_data and set(log.output_data) == ERROR_KEYS
    assert "Traceback" not in Task.objects.get().title
