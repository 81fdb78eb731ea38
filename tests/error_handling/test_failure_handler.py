"""Failure handlers: a workflow names another workflow of its tenant that starts, exactly once,
when one of its executions fails for good.

The sensor reads run failures past its cursor from the real Dagster instance and requests one
`crm_failure_handler` run per failed execution (run key `failure-handler:<execution id>`); that
run creates the handler execution (unique per failed execution) and runs the handler's version,
whose trigger receives workflow, version, execution id, failed node, error object (no stack
trace), trigger payload and the Dagster run's link. A daemon restart that evaluates the same
failures again requests the same run key and creates nothing new. Succeeded and canceled
executions start no handler, and neither does a failing handler.
"""

from __future__ import annotations

import uuid

import pytest
from dagster import DagsterRun, RunRequest, SkipReason, build_sensor_context
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from automation.definitions import defs
from automation.instance import get_instance
from automation.launcher import run_now
from automation.sensors.failure_handlers import (
    JOB_NAME,
    SENSOR_NAME,
    evaluate,
    failure_handler_job,
    failure_handler_sensor,
    handler_request,
)
from automation.workflow_jobs import job_for_version_id
from crm.workflows.errors import InvalidFailureHandler
from crm.workflows.models import Task, Workflow, WorkflowExecution
from crm.workflows.services import (
    execution_create,
    workflow_create,
    workflow_publish,
    workflow_set_failure_handler,
)

from .conftest import call, edge, node, note

pytestmark = pytest.mark.django_db(transaction=True)
HANDLER_TITLE = (
    "{{ trigger.workflow.name }} v{{ trigger.version }} failed at {{ trigger.failed_node.id }}: "
    "{{ trigger.error.error_type }}"
)


def _publish(tenant, name: str, definition: dict) -> Workflow:
    workflow = workflow_create(tenant=tenant, name=name, definition=definition, retry_count=0)
    workflow_publish(workflow=workflow)
    return workflow


def _calling(url: str) -> dict:
    return {
        "nodes": [
            node("start", "trigger", {"sample_payload": {"deal": 7}}),
            node("call", "http_request", call(url)),
        ],
        "edges": [edge("start", "call")],
    }


def _notifying(title: str) -> dict:
    return {
        "nodes": [node("start", "trigger"), node("tell", "task_notify", note(title))],
        "edges": [edge("start", "tell")],
    }


@pytest.fixture
def handler(local_tenant):
    return _publish(local_tenant, "On failure", _notifying(HANDLER_TITLE))


@pytest.fixture
def flaky(local_tenant, server, handler):
    workflow = _publish(local_tenant, "Flaky", _calling(server.always("down", 400)))
    return workflow_set_failure_handler(workflow=workflow, handler=handler)


def _tick(cursor: str | None):
    """One sensor evaluation against the real instance: (run requests, new cursor)."""
    result = evaluate(get_instance(), cursor)
    return list(result.run_requests or []), result.cursor


def _launch(request: RunRequest) -> str | None:
    """Run a requested handler run as the daemon's launcher would; its op's result."""
    result = failure_handler_job.execute_in_process(
        run_config=request.run_config, instance=get_instance(), tags=request.tags
    )
    return result.output_for_node("start_failure_handler")


def test_a_failed_execution_starts_its_handler_once_with_the_failure(flaky, handler):
    _, cursor = _tick(None)  # the first tick marks where failures end
    failed = run_now(workflow=flaky, payload={"deal": 42}, wait=True)
    assert failed.status == "failed"

    requests, cursor = _tick(cursor)
    assert [r.run_key for r in requests] == [f"failure-handler:{failed.id}"]
    assert requests[0].job_name == JOB_NAME
    assert requests[0].tags["crm/handles_execution"] == str(failed.id)
    handled_by = _launch(requests[0])

    execution = WorkflowExecution.objects.get(handles_execution=failed)
    assert str(execution.id) == handled_by
    assert execution.workflow == handler and execution.source == "failure_handler"
    assert execution.status == "success"
    payload = execution.trigger_data
    assert payload["workflow"] == {"id": str(flaky.id), "name": "Flaky"}
    assert payload["version"] == 1 and payload["execution_id"] == str(failed.id)
    assert payload["failed_node"] == {"id": "call", "type": "http_request", "label": "call"}
    assert payload["error"]["error_type"] == "http_status" and payload["error"]["attempt"] == 1
    assert "HTTP 400" in payload["error"]["message"] and "stack" not in payload["error"]
    assert payload["trigger"] == {"deal": 42}
    assert payload["dagster_run_url"].endswith(f"/runs/{failed.dagster_run_id}")
    assert Task.objects.get().title == "Flaky v1 failed at call: http_status"
    handler_run = get_instance().get_run_by_id(execution.dagster_run_id)
    assert handler_run.job_name == "acme__on_failure"

    assert _tick(cursor)[0] == []  # nothing new: the handler's own success is not a failure


def test_a_daemon_restart_replaying_the_failure_adds_no_handler_execution(flaky):
    _, before = _tick(None)
    failed = run_now(workflow=flaky, wait=True)
    first, _ = _tick(before)
    assert _launch(first[0]) is not None

    # A restarted daemon whose cursor update was lost evaluates the same failure again, through
    # a fresh sensor context: same run key (the daemon launches a key once), and even a second
    # launch finds the handler execution and starts nothing.
    context = build_sensor_context(instance=get_instance(), cursor=before)
    again = failure_handler_sensor(context)
    assert [r.run_key for r in again.run_requests] == [first[0].run_key]
    assert _launch(again.run_requests[0]) is None
    assert WorkflowExecution.objects.filter(handles_execution=failed).count() == 1
    assert Task.objects.count() == 1


def test_succeeded_and_canceled_executions_start_no_handler(local_tenant, server, handler):
    fine = _publish(local_tenant, "Fine", _calling(server.url("fine")))
    workflow_set_failure_handler(workflow=fine, handler=handler)
    _, cursor = _tick(None)
    assert run_now(workflow=fine, wait=True).status == "success"

    instance = get_instance()
    version = fine.current_version
    canceled = execution_create(
        tenant=local_tenant, version=version, source="test", trigger_data={}
    )
    run = instance.create_run_for_job(
        job_def=job_for_version_id(version.id), tags={"crm/execution_id": str(canceled.id)}
    )
    instance.report_run_canceled(run, "canceled from the Dagster UI")

    requests, _ = _tick(cursor)
    assert requests == []
    assert not WorkflowExecution.objects.filter(handles_execution__isnull=False).exists()


def test_a_failing_handler_starts_no_handler_of_its_own(local_tenant, server, flaky, handler):
    # The handler fails too, and names the failing workflow as its own handler: no loop.
    workflow_publish(workflow=handler, definition=_calling(server.always("handler", 500)))
    workflow_set_failure_handler(workflow=handler, handler=flaky)
    _, cursor = _tick(None)
    failed = run_now(workflow=flaky, wait=True)
    requests, cursor = _tick(cursor)
    _launch(requests[0])
    handler_execution = WorkflowExecution.objects.get(handles_execution=failed)
    assert handler_execution.status == "failed"

    requests, _ = _tick(cursor)
    assert requests == []
    outcome = handler_request(get_instance().get_run_by_id(handler_execution.dagster_run_id))
    assert isinstance(outcome, SkipReason) and "handlers are not handled" in outcome.skip_message
    assert WorkflowExecution.objects.count() == 2


def test_a_run_dagster_will_retry_is_not_handled_yet(flaky):
    run = DagsterRun(
        job_name="acme__flaky", run_id=str(uuid.uuid4()), tags={"dagster/will_retry": "true"}
    )
    outcome = handler_request(run)
    assert isinstance(outcome, SkipReason) and "will be retried" in outcome.skip_message


def test_a_failure_handler_is_another_workflow_of_the_same_tenant(tenant, other_tenant):
    mine = workflow_create(tenant=tenant, name="Mine")
    theirs = workflow_create(tenant=other_tenant, name="Theirs")
    with pytest.raises(InvalidFailureHandler, match="its own failure handler"):
        workflow_set_failure_handler(workflow=mine, handler=mine)
    with pytest.raises(InvalidFailureHandler, match="same tenant"):
        workflow_set_failure_handler(workflow=mine, handler=theirs)
    mine.refresh_from_db()
    assert mine.failure_handler is None
    mine.failure_handler = theirs
    with pytest.raises(ValidationError) as invalid:  # what the admin's form runs
        mine.full_clean()
    assert "failure_handler" in invalid.value.message_dict
    with pytest.raises(IntegrityError):  # the database refuses it too
        Workflow.objects.filter(pk=mine.pk).update(failure_handler=mine)


def test_the_code_location_serves_the_handler_job_and_sensor(db):
    repository = defs()
    assert repository.get_job(JOB_NAME).name == JOB_NAME
    assert repository.get_sensor_def(SENSOR_NAME).job_name == JOB_NAME
