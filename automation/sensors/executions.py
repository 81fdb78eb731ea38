"""Run-status sensors: finish the CRM execution when its Dagster run ends, however it ends."""

from __future__ import annotations

import dagster as dg

from crm.django_setup import setup_django

_STATUS = {
    dg.DagsterRunStatus.SUCCESS: "success",
    dg.DagsterRunStatus.FAILURE: "failed",
    dg.DagsterRunStatus.CANCELED: "canceled",
}


def finish_execution_for_run(run: dg.DagsterRun, status: str) -> str | None:
    """Mirror a finished run into its execution; returns the execution id, if any."""
    setup_django()
    from crm.workflows.selectors import execution_find_by_run_id
    from crm.workflows.services import execution_finish

    execution = execution_find_by_run_id(dagster_run_id=run.run_id)
    if execution is None:
        return None
    node_ids = None
    if execution.version is not None:
        node_ids = {
            str(node.get("id")): (
                str(node.get("type")),
                str((node.get("data") or {}).get("label") or node.get("type")),
            )
            for node in execution.version.definition.get("nodes", [])
            if isinstance(node, dict)
        }
    error = "" if status == "success" else f"Dagster run {run.run_id} ended: {status}"
    execution_finish(
        execution_id=str(execution.id), status=status, error_message=error, node_ids=node_ids
    )
    return str(execution.id)


def _make_sensor(run_status: dg.DagsterRunStatus, status: str) -> dg.SensorDefinition:
    @dg.run_status_sensor(
        run_status=run_status,
        name=f"crm_execution_{status}",
        description=f"Marks the CRM execution {status} when its workflow run ends so.",
        monitor_all_code_locations=False,
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=5,
    )
    def _sensor(context: dg.RunStatusSensorContext):
        finish_execution_for_run(context.dagster_run, status)

    return _sensor


def execution_status_sensors() -> list[dg.SensorDefinition]:
    return [_make_sensor(run_status, status) for run_status, status in _STATUS.items()]
