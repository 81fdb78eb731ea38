"""Per-tenant queue limits (production dagster.yaml, PostgreSQL instance): with a limit of 3
runs per tenant, tenant A's fourth queued run waits while tenant B's runs start. Runs go through
the real queue: run-now in queue mode, Dagster's queued-run daemon, the default run launcher."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from dagster import DagsterRunStatus
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import WorkspaceFileTarget
from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import (
    QueuedRunCoordinatorDaemon,
)

from automation.instance import get_instance
from automation.launcher import run_now
from crm.workflows.services import workflow_create, workflow_publish
from tests.automation.conftest import edge, node

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
ACTIVE = {DagsterRunStatus.STARTING, DagsterRunStatus.STARTED}


def slow_workflow(tenant, name: str):
    definition = {
        "nodes": [node("start", "trigger"), node("nap", "wait_delay", {"seconds": 60})],
        "edges": [edge("start", "nap")],
    }
    workflow = workflow_create(tenant=tenant, name=name, definition=definition, retry_count=0)
    workflow_publish(workflow=workflow)
    return workflow


def test_one_tenant_cannot_starve_another(
    tenant, other_tenant, postgres_dagster_home, monkeypatch
):  # fmt: skip
    monkeypatch.setenv("AUTOMATION_RUN_NOW", "queue")
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "crm.settings.test")
    flood = slow_workflow(tenant, "Flood")
    calm = slow_workflow(other_tenant, "Calm")
    a_runs = [run_now(workflow=flood).dagster_run_id for _ in range(4)]
    b_runs = [run_now(workflow=calm).dagster_run_id for _ in range(2)]
    instance = get_instance()
    assert {instance.get_run_by_id(r).status for r in a_runs + b_runs} == {DagsterRunStatus.QUEUED}

    target = WorkspaceFileTarget(paths=[str(ROOT / "workspace.yaml")])
    with WorkspaceProcessContext(instance, target) as workspace:
        try:
            daemon = QueuedRunCoordinatorDaemon(interval_seconds=1)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                list(daemon.run_iteration(workspace))
                statuses = {r: instance.get_run_by_id(r).status for r in a_runs + b_runs}
                if sum(statuses[r] in ACTIVE for r in a_runs + b_runs) >= 5:
                    break
                time.sleep(1)
            list(daemon.run_iteration(workspace))  # another pass must not start A's fourth
            statuses = {r: instance.get_run_by_id(r).status for r in a_runs + b_runs}
            assert sum(statuses[r] in ACTIVE for r in a_runs) == 3
            assert sum(statuses[r] == DagsterRunStatus.QUEUED for r in a_runs) == 1
            assert all(statuses[r] in ACTIVE for r in b_runs)
        finally:
            for run_id in a_runs + b_runs:
                run = instance.get_run_by_id(run_id)
                if run.status in ACTIVE:
                    instance.run_launcher.terminate(run_id)
                elif run.status == DagsterRunStatus.QUEUED:
                    instance.report_run_canceled(run)
            deadline = time.monotonic() + 30  # let the run workers stop before the DB goes
            while time.monotonic() < deadline and any(
                instance.get_run_by_id(r).status in ACTIVE | {DagsterRunStatus.CANCELING}
                for r in a_runs + b_runs
            ):
                time.sleep(0.5)
