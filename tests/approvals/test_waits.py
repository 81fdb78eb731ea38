"""Long waits suspend the execution and the resumptions sensor resumes it when due (a
controllable clock stands in for real hours); short waits still sleep in the step."""

from __future__ import annotations

from datetime import timedelta

import pytest
from dagster import SkipReason, build_sensor_context
from pydantic import ValidationError

from automation.instance import get_instance
from automation.launcher import run_now
from automation.nodes.logic import WaitDelayConfig
from automation.resume import resume_pass, wait_for_continuations
from automation.sensors.resumptions import resumptions
from crm.workflows.models import Task, WorkflowApproval, WorkflowSuspension
from tests.automation.conftest import edge, node

from .test_approvals import _logs, _runs_of

pytestmark = pytest.mark.django_db(transaction=True)


def wait_definition(url: str, wait: dict) -> dict:
    return {
        "nodes": [
            node("start", "trigger", {"sample_payload": {"customer": "Ada"}}),
            node("call", "http_request", {"url": url}),
            node("nap", "wait_delay", wait, label="Wait"),
            node("after", "task_notify", {
                "title": "after {{ nodes.call.body.call }}", "assign_to_role": "editor"
            }),
        ],
        "edges": [edge("start", "call"), edge("call", "nap"), edge("nap", "after")],
    }  # fmt: skip


def _sensor_pass() -> str:
    """Evaluate the resumptions sensor as the daemon would (no daemon here)."""
    result = resumptions(build_sensor_context(instance=get_instance()))
    assert isinstance(result, SkipReason)
    return result.skip_message


def test_a_long_wait_suspends_and_resumes_when_due(publish, http_counter, clock):
    workflow = publish(wait_definition(http_counter.url, {"hours": 2}))
    execution = run_now(workflow=workflow, wait=True)
    assert execution.status == "waiting"
    first = get_instance().get_run_by_id(execution.dagster_run_id)
    assert first.status.value == "SUCCESS"  # nothing sleeps for two hours
    nap = execution.logs.get(node_id="nap")
    assert nap.status == "waiting" and nap.execution_details["suspended"] == "wait"
    suspension = WorkflowSuspension.objects.get(execution=execution)
    assert suspension.kind == "wait" and suspension.state == "waiting"

    clock.advance(hours=1)
    assert _sensor_pass() == "nothing to resume"
    clock.advance(hours=1, seconds=1)
    assert _sensor_pass() == "resumptions: 1 due, 1 launched"
    wait_for_continuations()
    assert _sensor_pass() == "nothing to resume"

    execution.refresh_from_db()
    assert execution.status == "success"
    assert http_counter.calls == 1
    assert _logs(execution) == [
        ("after", 1, "success"),
        ("call", 1, "success"),
        ("nap", 1, "waiting"),
        ("nap", 2, "success"),
        ("start", 1, "success"),
    ]
    assert Task.objects.get().title == "after 1"  # the HTTP output of the first run
    output = execution.logs.get(node_id="nap", attempt=2).output_data
    assert output["waited_until"] == suspension.due_at.isoformat() and output["resumed_at"]
    runs = _runs_of(execution)
    assert len(runs) == 2 and runs[1].parent_run_id == first.run_id
    assert runs[1].tags["crm/resumed_by"] == "out"


def test_wait_until_a_templated_datetime(publish, http_counter, clock):
    workflow = publish(wait_definition(http_counter.url, {"until": "{{ trigger.at }}"}))
    at = clock.now().replace(microsecond=0) + timedelta(days=3)
    execution = run_now(workflow=workflow, payload={"at": at.isoformat()}, wait=True)
    assert execution.status == "waiting"
    assert WorkflowSuspension.objects.get(execution=execution).due_at == at
    clock.advance(days=3, seconds=1)
    assert resume_pass()["launched"]
    wait_for_continuations()
    execution.refresh_from_db()
    assert execution.status == "success" and http_counter.calls == 1


def test_a_past_datetime_or_a_short_wait_does_not_suspend(publish, http_counter):
    workflow = publish(wait_definition(http_counter.url, {"until": "2020-01-01T00:00:00"}))
    execution = run_now(workflow=workflow, wait=True)
    assert execution.status == "success"
    assert execution.logs.get(node_id="nap").output_data["waited_s"] == 0
    short = publish(wait_definition(http_counter.url, {"seconds": 0.1}), name="Short")
    assert run_now(workflow=short, wait=True).status == "success"
    assert not WorkflowSuspension.objects.exists()


def test_wait_config_takes_exactly_one_way():
    assert WaitDelayConfig.model_validate({"minutes": 5}).minutes == 5
    for bad in ({}, {"seconds": 1, "hours": 1}, {"seconds": -1}):
        with pytest.raises(ValidationError):
            WaitDelayConfig.model_validate(bad)


def test_an_approval_then_a_long_wait_resume_in_a_chain(publish, http_counter, deals, clock,
                                                         client_for, tenant):  # fmt: skip
    """Two suspensions in a row: the second continuation re-executes the first continuation,
    and the nodes before the approval still do not run again."""
    definition = wait_definition(http_counter.url, {"days": 1})
    definition["nodes"].append(node("approve", "approval", {
        "title": "go?", "assign_to_role": "approver",
    }))  # fmt: skip
    definition["edges"] = [
        edge("start", "call"),
        edge("call", "approve"),
        edge("approve", "nap", "approved"),
        edge("nap", "after"),
    ]
    execution = run_now(workflow=publish(definition), wait=True)
    assert execution.status == "waiting"
    approval = WorkflowApproval.objects.get()
    approver = client_for(tenant, "approver")
    url = f"/api/approvals/{approval.pk}/decide"
    response = approver.call("post", url, {"decision": "approve"})
    assert response.status_code == 200
    wait_for_continuations()
    execution.refresh_from_db()
    assert execution.status == "waiting"  # now at the wait
    assert execution.logs.filter(node_id="nap", status="waiting").exists()
    clock.advance(days=1, seconds=1)
    assert resume_pass()["launched"]
    wait_for_continuations()
    execution.refresh_from_db()
    assert execution.status == "success"
    assert http_counter.calls == 1
    assert Task.objects.filter(title="after 1").exists()
    first, second, third = _runs_of(execution)
    assert second.parent_run_id == first.run_id and third.parent_run_id == second.run_id
    assert third.root_run_id == first.run_id
    assert execution.dagster_run_id == third.run_id
