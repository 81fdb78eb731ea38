"""Keep CRM executions in step with Dagster runs: finish them when runs end, however they end.

Run-status sensors react to run ends; a reconciler catches what they cannot see: runs whose
worker died (Dagster's default launcher cannot notice; ForkserverRunLauncher's health check
lets run monitoring fail them too, see automation/run_launcher.py) and executions whose sensor
event was missed.
"""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

from crm.django_setup import setup_django

EXECUTION_TAG = "crm/execution_id"
_STATUS = {
    dg.DagsterRunStatus.SUCCESS: "success",
    dg.DagsterRunStatus.FAILURE: "failed",
    dg.DagsterRunStatus.CANCELED: "canceled",
}


def execution_for_run(run: dg.DagsterRun):
    from crm.workflows.models import WorkflowExecution

    by_tag = run.tags.get(EXECUTION_TAG)
    if by_tag:
        execution = WorkflowExecution.objects.filter(pk=by_tag).first()
        # A re-execution copies its parent's tags; it owns the execution once it started it.
        if execution is not None and execution.dagster_run_id in ("", run.run_id):
            return execution
    return WorkflowExecution.objects.filter(dagster_run_id=run.run_id).first()


def _node_ids(execution) -> dict[str, tuple[str, str]] | None:
    if execution.version is None:
        return None
    return {
        str(node.get("id")): (
            str(node.get("type")),
            str((node.get("data") or {}).get("label") or node.get("type")),
        )
        for node in execution.version.definition.get("nodes", [])
        if isinstance(node, dict)
    }


def failed_log(execution):
    """The log of the node whose failure ended the execution (not one the flow got past)."""
    for log in execution.logs.filter(status="failed").order_by("-completed_at", "-attempt"):
        if (log.execution_details or {}).get("outcome") not in ("retry", "continue", "branch"):
            return log
    return None


def _failure_message(execution, fallback: str) -> str:
    failed = failed_log(execution)
    if failed is not None and failed.error_details:
        return f"{failed.node_name or failed.node_id}: {failed.error_details.get('message', '')}"
    return fallback


def finish_execution_for_run(run: dg.DagsterRun, status: str, reason: str = "") -> str | None:
    """Mirror a finished run into its execution; returns the execution id, if any."""
    setup_django()
    from crm.workflows.services import execution_finish

    execution = execution_for_run(run)
    if execution is None:
        return None
    from crm.workflows.approvals import execution_waits, suspensions_cancel

    if status == "success" and execution_waits(execution.pk):
        status = "waiting"  # a node suspended it (approval, long wait): not finished
    elif status in ("failed", "canceled"):
        suspensions_cancel(execution.pk)
    error = ""
    if status == "failed":
        error = _failure_message(execution, reason or f"Dagster run {run.run_id} failed")
    elif status == "canceled":
        error = reason or f"Dagster run {run.run_id} was canceled"
    execution_finish(
        execution_id=str(execution.id),
        status=status,
        error_message=error,
        node_ids=_node_ids(execution),
    )
    return str(execution.id)


def reconcile_executions(instance: dg.DagsterInstance, *, min_age_s: float = 30.0) -> list[str]:
    """Finish executions left pending/running whose run ended or whose worker died."""
    setup_django()
    from django.utils import timezone

    from automation.worker import worker_is_dead
    from crm.workflows.models import WorkflowExecution

    cutoff = timezone.now() - timedelta(seconds=min_age_s)
    fixed: list[str] = []
    stale = WorkflowExecution.objects.filter(
        status__in=["pending", "running"], started_at__lt=cutoff
    ).exclude(source="cli")
    for execution in stale.select_related("version")[:500]:
        run = instance.get_run_by_id(execution.dagster_run_id) if execution.dagster_run_id else None
        if run is None:
            continue
        if run.status in _STATUS:
            finish_execution_for_run(run, _STATUS[run.status])
            fixed.append(str(execution.id))
        elif not run.is_finished and worker_is_dead(
            (execution.execution_context or {}).get("worker")
        ):
            message = "the run's worker process died"
            instance.report_run_failed(run, message)
            finish_execution_for_run(run, "failed", message)
            fixed.append(str(execution.id))
    return fixed


def _make_status_sensor(run_status: dg.DagsterRunStatus, status: str) -> dg.SensorDefinition:
    @dg.run_status_sensor(
        run_status=run_status,
        name=f"crm_execution_{status}",
        description=f"Marks the CRM execution {status} when its workflow run ends so.",
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=5,
    )
    def _sensor(context: dg.RunStatusSensorContext):
        finish_execution_for_run(context.dagster_run, status)

    return _sensor


@dg.sensor(
    name="crm_execution_reconciler",
    description="Finishes CRM executions whose run ended unseen or whose worker died.",
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
)
def reconciler(context: dg.SensorEvaluationContext):
    fixed = reconcile_executions(context.instance)
    return dg.SkipReason(
        f"reconciled {len(fixed)} execution(s)" if fixed else "every execution is in step"
    )


def execution_sensors() -> list[dg.SensorDefinition]:
    return [_make_status_sensor(s, name) for s, name in _STATUS.items()] + [reconciler]
