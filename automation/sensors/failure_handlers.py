"""Failure handlers: when an execution fails for good, start its workflow's failure handler once.

A sensor reads run-failure events past its cursor in batches (Dagster's run-failure sensors
handle one run per tick when they request runs: too slow for a burst of failures). A run fails
only after its steps' retries; a run Dagster will retry as a whole is skipped. For an execution
whose workflow names a failure handler, the sensor requests one run of the small
`crm_failure_handler` job with run key `failure-handler:<execution id>`: the daemon launches a
run key once per sensor, forever, so a daemon restart that replays a failure adds nothing. That
run creates the handler's execution (unique per failed execution in the CRM: a second request
finds it and does nothing) and runs the handler's latest version as its own Dagster run.
Executions of a handler are never handled in turn: a failing handler cannot start itself or a
loop.
"""

from __future__ import annotations

import json
from typing import Any

import dagster as dg

from crm.django_setup import setup_django

from .executions import execution_for_run, failed_log

JOB_NAME = "crm_failure_handler"
SENSOR_NAME = "crm_failure_handlers"
HANDLES_TAG = "crm/handles_execution"
WILL_RETRY_TAG = "dagster/will_retry"
BATCH = 200  # failure events read per tick


def run_key(execution_id: str) -> str:
    return f"failure-handler:{execution_id}"


def _handler_of(execution):
    """The failure handler workflow and its latest version, or a reason there is none."""
    if execution.handles_execution_id is not None:
        return None, "the failed execution is a failure handler's: handlers are not handled"
    workflow = execution.workflow
    handler = workflow.failure_handler if workflow is not None else None
    if handler is None:
        return None, "the workflow has no failure handler"
    if handler.tenant_id != execution.tenant_id or handler.pk == workflow.pk:
        return None, "the failure handler is not another workflow of the same tenant"
    if handler.status != "active":
        return None, f"the failure handler {handler.name!r} is {handler.status}"
    version = handler.current_version
    if version is None:
        return None, f"the failure handler {handler.name!r} has no published version"
    return (handler, version), ""


def handler_request(run: dg.DagsterRun) -> dg.RunRequest | dg.SkipReason:
    """The run request that handles the failure of `run`, or why there is none."""
    setup_django()
    if run.tags.get(WILL_RETRY_TAG) == "true":
        return dg.SkipReason(f"run {run.run_id} will be retried by Dagster")
    execution = execution_for_run(run)
    if execution is None:
        return dg.SkipReason(f"run {run.run_id} is not a workflow execution's current run")
    found, reason = _handler_of(execution)
    if found is None:
        return dg.SkipReason(f"execution {execution.id}: {reason}")
    handler, _version = found
    return dg.RunRequest(
        run_key=run_key(str(execution.id)),
        job_name=JOB_NAME,
        run_config={
            "ops": {
                "start_failure_handler": {
                    "config": {
                        "failed_execution_id": str(execution.id),
                        "failed_run_id": run.run_id,
                    }
                }
            }
        },
        tags={
            "tenant": execution.tenant.slug,
            "workflow_id": str(handler.id),
            HANDLES_TAG: str(execution.id),
        },
    )


def failure_payload(execution, failed_run_id: str) -> dict[str, Any]:
    """What the handler's trigger receives (no stack traces: handlers' readers may not see them)."""
    from automation.launcher import dagster_run_url

    log = failed_log(execution)
    if log is not None:
        error = {k: v for k, v in (log.error_details or {}).items() if k != "stack"}
        failed_node = {"id": log.node_id, "type": log.node_type, "label": log.node_name}
    else:
        message = execution.error_message or f"Dagster run {failed_run_id} failed"
        error = {"message": message, "error_type": "run_failure"}
        failed_node = None
    workflow = execution.workflow
    return {
        "workflow": {"id": str(workflow.id), "name": workflow.name},
        "version": execution.version.number if execution.version else None,
        "execution_id": str(execution.id),
        "failed_node": failed_node,
        "error": error,
        "trigger": execution.trigger_data,
        "dagster_run_id": failed_run_id,
        "dagster_run_url": dagster_run_url(failed_run_id),
    }


def start_failure_handler(*, failed_execution_id: str, failed_run_id: str) -> str | None:
    """Create the handler execution of a failed one and run it here; None when it exists."""
    setup_django()
    from automation.launcher import execute_version
    from crm.workflows.models import WorkflowExecution
    from crm.workflows.services import execution_finish, failure_handler_execution_claim

    failed = WorkflowExecution.objects.select_related("workflow", "version", "tenant").get(
        pk=failed_execution_id
    )
    found, reason = _handler_of(failed)
    if found is None:
        raise ValueError(reason)
    _handler, version = found
    execution = failure_handler_execution_claim(
        failed_execution=failed,
        handler_version=version,
        payload=failure_payload(failed, failed_run_id),
    )
    if execution is None:
        return None
    try:
        execute_version(
            execution_id=str(execution.id),
            version_id=version.id,
            payload=execution.trigger_data,
            source="failure_handler",
        )
    except Exception as exc:  # the handler execution must not stay pending
        execution_finish(
            execution_id=str(execution.id),
            status="failed",
            error_message=f"the failure handler could not start: {type(exc).__name__}: {exc}",
        )
        raise
    return str(execution.id)


@dg.op(
    config_schema={"failed_execution_id": str, "failed_run_id": str},
    description="Start the workflow's failure handler for a failed execution (once).",
)
def start_failure_handler_op(context):
    handler_execution = start_failure_handler(**context.op_config)
    return dg.Output(
        handler_execution,
        metadata={
            "failed_execution_id": context.op_config["failed_execution_id"],
            "handler_execution_id": handler_execution or "already started",
        },
    )


@dg.job(
    name=JOB_NAME,
    description="Runs a workflow's failure handler for one failed execution.",
    executor_def=dg.in_process_executor,
)
def failure_handler_job():
    start_failure_handler_op.alias("start_failure_handler")()


def evaluate(instance: dg.DagsterInstance, cursor: str | None) -> dg.SensorResult:
    """One tick: a run request per newly failed execution with a handler; cursor advanced last.

    The first tick only notes where the failures end: failures from before the sensor ever ran
    are not handled (as Dagster's run-status sensors do).
    """
    if not cursor:
        latest = instance.fetch_run_status_changes(dg.DagsterEventType.RUN_FAILURE, limit=1)
        after = latest.cursor if latest.records else None
        return dg.SensorResult(
            skip_reason=dg.SkipReason("watching run failures from now on"),
            cursor=json.dumps({"after": after}),
        )
    result = instance.fetch_run_status_changes(
        dg.DagsterEventType.RUN_FAILURE,
        limit=BATCH,
        cursor=json.loads(cursor)["after"],
        ascending=True,
    )
    run_ids = list(dict.fromkeys(record.run_id for record in result.records))
    runs = {
        record.dagster_run.run_id: record.dagster_run
        for record in (instance.get_run_records(dg.RunsFilter(run_ids=run_ids)) if run_ids else [])
    }
    requests: list[dg.RunRequest] = []
    reasons: list[str] = []
    for run_id in run_ids:
        outcome = handler_request(runs[run_id]) if run_id in runs else None
        if isinstance(outcome, dg.RunRequest):
            requests.append(outcome)
        elif outcome is not None:
            reasons.append(outcome.skip_message or "")
    new_cursor = json.dumps({"after": result.cursor}) if result.records else cursor
    if requests:
        return dg.SensorResult(run_requests=requests, cursor=new_cursor)
    summary = f"{len(run_ids)} failed run(s), none to handle" if run_ids else "no new failed run"
    detail = f": {'; '.join(reasons[:3])}" if reasons else ""
    return dg.SensorResult(skip_reason=dg.SkipReason(summary + detail), cursor=new_cursor)


@dg.sensor(
    name=SENSOR_NAME,
    description="Starts a workflow's failure handler, once, when one of its executions fails.",
    job=failure_handler_job,
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=5,
)
def failure_handler_sensor(context: dg.SensorEvaluationContext):
    return evaluate(context.instance, context.cursor)


def failure_handler_sensors() -> list[dg.SensorDefinition]:
    return [failure_handler_sensor]
