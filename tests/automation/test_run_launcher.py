"""The embedded default's run launcher (deploy/dagster.yaml: ForkserverRunLauncher): queued runs
go through Dagster's real queued-run daemon iteration and start in run workers forked from a
preloaded forkserver; they finish, can be terminated from another process's view of the
instance, and a worker that dies is reported by the health check run monitoring uses."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import psutil
import pytest
from dagster import DagsterRunStatus
from dagster._core.launcher import WorkerStatus
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import WorkspaceFileTarget
from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import (
    QueuedRunCoordinatorDaemon,
)

from automation.instance import get_instance
from automation.launcher import run_now
from automation.run_launcher import WORKER_TAG, ForkserverRunLauncher
from crm.workflows.services import workflow_create, workflow_publish
from tests.automation.conftest import edge, node

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
FINISHED = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}


@pytest.fixture
def embedded_instance(tmp_path, monkeypatch):
    """A DAGSTER_HOME with the embedded default's dagster.yaml."""
    home = tmp_path / "dagster"
    home.mkdir()
    (home / "dagster.yaml").write_text((ROOT / "deploy/dagster.yaml").read_text())
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("AUTOMATION_RUN_NOW", "queue")
    from automation import instance as shared

    shared._instance = None
    yield get_instance()
    if shared._instance is not None:
        shared._instance.dispose()
        shared._instance = None


def _workflow(tenant, name: str, seconds: int):
    definition = {
        "nodes": [node("start", "trigger"), node("nap", "wait_delay", {"seconds": seconds})],
        "edges": [edge("start", "nap")],
    }
    workflow = workflow_create(tenant=tenant, name=name, definition=definition, retry_count=0)
    workflow_publish(workflow=workflow)
    return workflow


def _dequeue_until(instance, run_id: str, statuses: set, timeout_s: float = 90):
    target = WorkspaceFileTarget(paths=[str(ROOT / "workspace.yaml")])
    with WorkspaceProcessContext(instance, target) as workspace:
        daemon = QueuedRunCoordinatorDaemon(interval_seconds=1)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            list(daemon.run_iteration(workspace))
            run = instance.get_run_by_id(run_id)
            if run.status in statuses:
                return run
            time.sleep(0.3)
    raise AssertionError(f"run {run_id} stayed {instance.get_run_by_id(run_id).status}")


def _wait_for(instance, run_id: str, statuses: set, timeout_s: float = 60):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        run = instance.get_run_by_id(run_id)
        if run.status in statuses:
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} stayed {instance.get_run_by_id(run_id).status}")


def _worker_pid(run) -> int:
    return json.loads(run.tags[WORKER_TAG])["pid"]


def test_the_embedded_default_uses_it(embedded_instance) -> None:
    assert isinstance(embedded_instance.run_launcher, ForkserverRunLauncher)


def test_a_queued_run_runs_in_a_forked_worker_and_finishes(embedded_instance, tenant) -> None:
    execution = run_now(workflow=_workflow(tenant, "Quick", 0))
    run = _dequeue_until(embedded_instance, execution.dagster_run_id, FINISHED)
    run = _wait_for(embedded_instance, run.run_id, FINISHED)
    assert run.status == DagsterRunStatus.SUCCESS
    pid = _worker_pid(run)
    assert pid != os.getpid()
    assert pid not in {child.pid for child in psutil.Process().children(recursive=True)}
    messages = [e.message for e in embedded_instance.all_logs(run.run_id) if e.message]
    assert f"Started process for run (pid: {pid})." in messages
    # the workflow's nodes ran (the execution's final status is the run-status sensors' job)
    assert execution.logs.filter(node_id="nap", status="success").count() == 1


def test_terminate_cancels_the_run_and_stops_its_worker(embedded_instance, tenant) -> None:
    execution = run_now(workflow=_workflow(tenant, "Sleeper", 50))  # sleeps in its step
    run = _dequeue_until(embedded_instance, execution.dagster_run_id, {DagsterRunStatus.STARTED})
    pid = _worker_pid(run)
    assert embedded_instance.run_launcher.check_run_worker_health(run).status == (
        WorkerStatus.RUNNING
    )
    assert embedded_instance.run_launcher.terminate(run.run_id) is True
    run = _wait_for(embedded_instance, run.run_id, FINISHED)
    assert run.status == DagsterRunStatus.CANCELED
    deadline = time.monotonic() + 15
    while psutil.pid_exists(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert embedded_instance.run_launcher.terminate(run.run_id) is False  # already finished


def test_a_run_that_has_not_started_yet_is_canceled(embedded_instance, tenant) -> None:
    execution = run_now(workflow=_workflow(tenant, "Never", 0))
    run = embedded_instance.get_run_by_id(execution.dagster_run_id)
    assert run.status == DagsterRunStatus.QUEUED
    assert embedded_instance.run_launcher.terminate(run.run_id) is True  # no worker yet
    assert embedded_instance.get_run_by_id(run.run_id).status == DagsterRunStatus.CANCELED
    run = _dequeue_until(embedded_instance, run.run_id, FINISHED, timeout_s=5)
    assert WORKER_TAG not in run.tags  # the queue never launched it


def test_a_killed_worker_is_reported_failed(embedded_instance, tenant) -> None:
    execution = run_now(workflow=_workflow(tenant, "Doomed", 50))
    run = _dequeue_until(embedded_instance, execution.dagster_run_id, {DagsterRunStatus.STARTED})
    os.kill(_worker_pid(run), signal.SIGKILL)
    deadline = time.monotonic() + 15
    health = embedded_instance.run_launcher.check_run_worker_health(run)
    while health.status != WorkerStatus.FAILED and time.monotonic() < deadline:
        time.sleep(0.2)
        health = embedded_instance.run_launcher.check_run_worker_health(run)
    assert health.status == WorkerStatus.FAILED
    assert str(_worker_pid(run)) in health.msg
    # terminating it now marks it canceled: nothing runs it any more
    assert embedded_instance.run_launcher.terminate(run.run_id) is True
    assert embedded_instance.get_run_by_id(run.run_id).status == DagsterRunStatus.CANCELED
