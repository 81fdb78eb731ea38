"""Per-node retries on the real Dagster instance against a real HTTP server.

A node's `settings.retry` overrides the workflow default field by field; retries are Dagster
retries (STEP_UP_FOR_RETRY events, the op's RetryPolicy) and each attempt is a log row with its
number. With only_transient (the default) a 4xx or another error a user must fix is not
retried while 429, 5xx and timeouts are; without it every error is. The delay is the policy's
exponential backoff with jitter, capped at max_delay_s (RetryPolicy has no cap of its own).
"""

from __future__ import annotations

import pytest
from dagster import Backoff, Jitter

from automation.graph_factory.compile import compile_job
from automation.graph_factory.error_policy import RetryPlan, retry_plan
from automation.graph_factory.target import JobTarget
from automation.nodes.base import NodeSettings, TenantRef
from crm.workflows.models import Task

from .conftest import call, edge, graph_of, logs_of, node, note, run_definition

pytestmark = pytest.mark.django_db(transaction=True)
FAST = {"backoff_base_s": 0}


def _single_call(url: str, retry: dict | None, on_error: str = "stop") -> dict:
    settings: dict = {"on_error": on_error}
    if retry is not None:
        settings["retry"] = {**FAST, **retry}
    return {
        "nodes": [node("start", "trigger"), node("call", "http_request", call(url), settings)],
        "edges": [edge("start", "call")],
    }


def _retry_events(result) -> list:
    return [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]


def test_count_2_means_three_calls_with_attempts_logged(local_tenant, server):
    url = server.always("flaky", 503)
    execution, result = run_definition(local_tenant, _single_call(url, {"count": 2}))
    assert execution.status == "failed"
    assert server.calls("flaky") == 3
    assert len(_retry_events(result)) == 2
    logs = logs_of(execution, "call")
    assert [(log.attempt, log.status) for log in logs] == [
        (1, "failed"),
        (2, "failed"),
        (3, "failed"),
    ]
    assert [log.execution_details["outcome"] for log in logs] == ["retry", "retry", "stop"]
    assert [log.error_details["attempt"] for log in logs] == [1, 2, 3]


def test_a_retry_that_succeeds_lets_the_execution_succeed(local_tenant, server):
    url = server.plan("flaky", [503, 429])
    execution, result = run_definition(local_tenant, _single_call(url, {"count": 3}))
    assert execution.status == "success"
    assert server.calls("flaky") == 3
    assert [log.status for log in logs_of(execution, "call")] == ["failed", "failed", "success"]


def test_a_400_is_not_retried_with_only_transient(local_tenant, server):
    url = server.always("bad", 400)
    execution, result = run_definition(local_tenant, _single_call(url, {"count": 3}))
    assert execution.status == "failed"
    assert server.calls("bad") == 1
    assert _retry_events(result) == []


def test_a_503_is_retried_with_only_transient(local_tenant, server):
    url = server.always("down", 503)
    execution, _ = run_definition(
        local_tenant, _single_call(url, {"count": 2, "only_transient": True})
    )
    assert server.calls("down") == 3


def test_without_only_transient_a_400_is_retried_too(local_tenant, server):
    url = server.always("bad", 400)
    run_definition(local_tenant, _single_call(url, {"count": 2, "only_transient": False}))
    assert server.calls("bad") == 3


def test_the_node_override_beats_the_workflow_default(local_tenant, server):
    url = server.always("down", 503)
    run_definition(local_tenant, _single_call(url, {"count": 0}), retry_count=3)
    assert server.calls("down") == 1


def test_the_workflow_default_applies_without_an_override(local_tenant, server):
    url = server.plan("flaky", [503])
    execution, result = run_definition(local_tenant, _single_call(url, None), retry_count=1)
    assert execution.status == "success" and server.calls("flaky") == 2
    assert len(_retry_events(result)) == 1


def test_retries_come_first_then_on_error(local_tenant, server):
    url = server.always("down", 503)
    definition = _single_call(url, {"count": 1}, on_error="continue")
    definition["nodes"].append(
        node("after", "task_notify", note("attempt {{ nodes.call.attempt }}"))
    )
    definition["edges"].append(edge("call", "after"))
    execution, _ = run_definition(local_tenant, definition)
    assert execution.status == "success"
    assert server.calls("down") == 2
    logs = logs_of(execution, "call")
    assert [log.execution_details["outcome"] for log in logs] == ["retry", "continue"]
    assert logs[1].output_data["attempt"] == 2
    assert Task.objects.get().title == "attempt 2"


def test_the_op_carries_the_nodes_dagster_retry_policy(local_tenant):
    settings = {"retry": {"count": 4, "backoff_base_s": 2.5, "max_delay_s": 30}}
    graph = graph_of(_single_call("https://example.com", None))
    graph.nodes["call"].settings = NodeSettings.model_validate(settings)
    target = JobTarget(
        job_name="acme__policy",
        tenant=TenantRef(id=local_tenant.id, slug="acme"),
        workflow_name="Policy",
        retry_count=1,
    )
    ops = {n.name: n.definition for n in compile_job(graph, target).graph.nodes}
    policy = ops["call"].retry_policy
    assert (policy.max_retries, policy.delay) == (4, 2.5)
    assert (policy.backoff, policy.jitter) == (Backoff.EXPONENTIAL, Jitter.PLUS_MINUS)
    assert ops["start"].retry_policy.max_retries == 1  # the workflow default


def test_the_delay_is_exponential_and_capped_at_max_delay():
    plan = RetryPlan(count=10, backoff_base_s=1.0, max_delay_s=5.0)
    delays = [plan.delay_s(attempt) for attempt in range(1, 8)]
    assert all(0 <= delay <= 5.0 for delay in delays)
    assert delays[-1] == 5.0  # 127 s ± 1 s before the cap
    assert RetryPlan(count=0).policy() is None
    merged = retry_plan(NodeSettings.model_validate({"retry": {"max_delay_s": 9}}), 2)
    assert merged == RetryPlan(count=2, backoff_base_s=1.0, max_delay_s=9.0, only_transient=True)
