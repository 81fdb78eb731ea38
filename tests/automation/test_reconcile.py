"""No execution stays running after its Dagster run ended: canceled runs, runs whose worker was
killed, and runs whose end the sensors missed are all reconciled."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from dagster import DagsterEventType, DagsterRunStatus, build_run_status_sensor_context

from automation.instance import get_instance
from automation.sensors.executions import execution_sensors, reconcile_executions
from automation.workflow_jobs import job_for_version_id
from crm.workflows.models import WorkflowExecution
from crm.workflows.services import execution_create, workflow_create, workflow_publish

from .conftest import edge, node

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def slow_version(tenant):
    definition = {
        "nodes": [
            node("start", "trigger"),
            node("nap", "wait_delay", {"seconds": 60}),
            node("after", "task_notify", {"title": "done", "assign_to_role": "editor"}),
        ],
        "edges": [edge("start", "nap"), edge("nap", "after")],
    }
    workflow = workflow_create(tenant=tenant, name="Slow", definition=definition)
    return workflow_publish(workflow=workflow)


def _sensor(name: str):
    return next(sensor for sensor in execution_sensors() if sensor.name == name)


def test_canceled_run_marks_the_execution_canceled(tenant, slow_version):
    instance = get_instance()
    execution = execution_create(
        tenant=tenant, version=slow_version, source="test", trigger_data={}
    )
    run = instance.create_run_for_job(
        job_def=job_for_version_id(slow_version.id),
        tags={"crm/execution_id": str(execution.id)},
    )
    execution.dagster_run_id = run.run_id
    execution.status = "running"
    execution.save()
    instance.report_run_canceled(run, "canceled from the Dagster UI")
    records = instance.get_records_for_run(
        run.run_id, of_type=DagsterEventType.RUN_CANCELED
    ).records
    context = build_run_status_sensor_context(
        sensor_name="crm_execution_canceled",
        dagster_event=records[0].event_log_entry.dagster_event,
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(run.run_id),
    )
    _sensor("crm_execution_canceled")(context)
    execution.refresh_from_db()
    assert execution.status == "canceled"
    assert execution.completed_at is not None
    statuses = dict(execution.logs.values_list("node_id", "status"))
    assert statuses == {"start": "skipped", "nap": "skipped", "after": "skipped"}


def test_missed_run_end_is_reconciled(tenant, slow_version):
    instance = get_instance()
    execution = execution_create(
        tenant=tenant, version=slow_version, source="test", trigger_data={}
    )
    run = instance.create_run_for_job(job_def=job_for_version_id(slow_version.id))
    execution.dagster_run_id = run.run_id
    execution.status = "running"
    execution.save()
    instance.report_run_failed(run, "lost")
    assert reconcile_executions(instance, min_age_s=0) == [str(execution.id)]
    execution.refresh_from_db()
    assert execution.status == "failed"


def test_killed_run_worker_is_reconciled(tenant, slow_version):
    execution = execution_create(
        tenant=tenant, version=slow_version, source="test", trigger_data={}
    )
    script = (
        "from crm.django_setup import setup_django; setup_django();"
        "from automation.launcher import execute_version;"
        f"execute_version(execution_id='{execution.id}', version_id={slow_version.id},"
        " payload={}, source='test')"
    )
    worker = subprocess.Popen(
        [sys.executable, "-c", script],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "crm.settings.test"},
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if execution.logs.filter(node_id="nap", status="running").exists():
                break
            time.sleep(0.2)
        else:
            pytest.fail("the run never reached the wait node")
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    execution.refresh_from_db()
    assert execution.status == "running"
    instance = get_instance()
    assert reconcile_executions(instance, min_age_s=0) == [str(execution.id)]
    execution.refresh_from_db()
    assert execution.status == "failed"
    assert "worker process died" in execution.error_message
    assert instance.get_run_by_id(execution.dagster_run_id).status == DagsterRunStatus.FAILURE
    assert reconcile_executions(instance, min_age_s=0) == []  # nothing left to fix
    assert WorkflowExecution.objects.filter(status="running").count() == 0
