"""Start workflow executions from the CRM ("run now"): fast, recorded, visible in Dagster.

A run-now run is created in the Dagster instance against the workspace's `automation` code
location (so the Dagster UI lists it under the job and can re-execute it) and executed at once
in a worker thread of this process with the in-process executor, skipping the run queue and
the launcher's subprocess. The job is rebuilt from the exact version, so a version can run the
moment it is published, before the code location has reloaded.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from crm.django_setup import setup_django

log = logging.getLogger("automation.launcher")
ROOT = Path(__file__).resolve().parent.parent
LOCATION_NAME = "automation"
_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def _run_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            workers = int(os.environ.get("AUTOMATION_RUN_NOW_WORKERS", "1"))
            _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="run-now")
        return _pool


def _remote_job_origin(job_name: str):
    """The origin `dagster dev` gives the workspace's jobs, so the UI links runs to the job."""
    from dagster._core.remote_origin import (
        ManagedGrpcPythonEnvCodeLocationOrigin,
        RemoteJobOrigin,
        RemoteRepositoryOrigin,
    )
    from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

    from automation.definitions import REPOSITORY_NAME

    location = ManagedGrpcPythonEnvCodeLocationOrigin(
        loadable_target_origin=LoadableTargetOrigin(
            executable_path=sys.executable,
            module_name="automation.definitions",
            working_directory=str(ROOT),
        ),
        location_name=LOCATION_NAME,
    )
    return RemoteJobOrigin(
        repository_origin=RemoteRepositoryOrigin(
            code_location_origin=location, repository_name=REPOSITORY_NAME
        ),
        job_name=job_name,
    )


def _create_run(*, execution_id: str, version_id: int, payload: Any, source: str):
    """Create (not start) the Dagster run of one execution; returns (instance, job, run)."""
    from dagster import build_reconstructable_job

    from automation.graph_factory.compile import trigger_run_config
    from automation.graph_factory.node_op import EXECUTION_TAG, SOURCE_TAG
    from automation.instance import get_instance
    from automation.workflow_jobs import graph_for_version_id

    instance = get_instance()
    recon = build_reconstructable_job(
        "automation.workflow_jobs", "job_for_version_id", reconstructable_args=(version_id,)
    )
    job = recon.get_definition()
    run = instance.create_run_for_job(
        job_def=job,
        run_config=trigger_run_config(graph_for_version_id(version_id), payload),
        tags={**job.run_tags, EXECUTION_TAG: execution_id, SOURCE_TAG: source},
        job_code_origin=recon.get_python_origin(),
        remote_job_origin=_remote_job_origin(job.name),
    )
    return instance, recon, run


def execute_version(*, execution_id: str, version_id: int, payload: Any, source: str) -> str:
    """Create and execute the run of one execution in this thread; returns the run id."""
    from dagster._core.execution.api import execute_run

    from automation.sensors.executions import finish_execution_for_run

    instance, recon, run = _create_run(
        execution_id=execution_id, version_id=version_id, payload=payload, source=source
    )
    execute_run(recon, run, instance)
    finished = instance.get_run_by_id(run.run_id)
    status = {"SUCCESS": "success", "CANCELED": "canceled"}.get(finished.status.value, "failed")
    finish_execution_for_run(finished, status)
    return run.run_id


def queue_version(*, execution_id: str, version_id: int, payload: Any, source: str) -> str:
    """Create the run and hand it to the instance's run coordinator (the queue, with its
    per-tenant limits); the daemon launches it. Returns the run id."""
    from crm.workflows.models import WorkflowExecution

    instance, _recon, run = _create_run(
        execution_id=execution_id, version_id=version_id, payload=payload, source=source
    )
    WorkflowExecution.objects.filter(pk=execution_id).update(dagster_run_id=run.run_id)
    instance.submit_run(run.run_id, workspace=None)
    return run.run_id


def run_now_mode() -> str:
    """`inline` (default: run at once in this process) or `queue` (through the run queue)."""
    mode = os.environ.get("AUTOMATION_RUN_NOW", "inline")
    if mode not in ("inline", "queue"):
        raise ValueError(f"AUTOMATION_RUN_NOW={mode!r}: expected inline or queue")
    return mode


def _start_safely(start, execution_id: str, version_id: int, payload: Any, source: str) -> None:
    """Run `start` (execute_version or queue_version); if the run cannot start, the execution
    fails with the reason instead of staying pending."""
    from django.db import close_old_connections

    from crm.workflows.services import execution_finish

    close_old_connections()
    try:
        start(execution_id=execution_id, version_id=version_id, payload=payload, source=source)
    except Exception as exc:
        log.exception("run of execution %s could not start", execution_id)
        execution_finish(
            execution_id=execution_id,
            status="failed",
            error_message=f"the run could not start: {type(exc).__name__}: {exc}",
        )
    finally:
        close_old_connections()


def run_now(
    *,
    workflow,
    payload: dict[str, Any] | None = None,
    user=None,
    version=None,
    source: str = "api",
    wait: bool = False,
    timeout_s: float = 120.0,
):
    """Create an execution of the workflow's latest (or the given) version and start its run.

    Returns the WorkflowExecution at once (status pending/running), or once it has finished
    when `wait` is true. Raises ValueError when the workflow has no published version.
    """
    setup_django()
    from crm.workflows.services import execution_create

    version = version or workflow.current_version
    if version is None:
        raise ValueError(f"workflow {workflow.name!r} has no published version")
    if payload is None:
        trigger = next(
            (n for n in version.definition.get("nodes", []) if n.get("type") == "trigger"), {}
        )
        payload = ((trigger.get("data") or {}).get("config") or {}).get("sample_payload", {})
    execution = execution_create(
        tenant=workflow.tenant,
        workflow=workflow,
        version=version,
        source=source,
        trigger_data=payload,
        triggered_by=user if getattr(user, "is_authenticated", False) else None,
    )
    if run_now_mode() == "queue":
        _start_safely(queue_version, str(execution.id), version.id, payload, source)
        if wait:
            _wait_for_end(execution, timeout_s)
        execution.refresh_from_db()
        return execution
    future: Future = _run_pool().submit(
        _start_safely, execute_version, str(execution.id), version.id, payload, source
    )
    if wait:
        future.result(timeout=timeout_s)
    execution.refresh_from_db()
    return execution


def _wait_for_end(execution, timeout_s: float) -> None:
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        execution.refresh_from_db()
        if execution.status in ("success", "failed", "canceled"):
            return
        time.sleep(0.1)
    raise TimeoutError(f"execution {execution.id} did not finish within {timeout_s} s")


def dagster_run_url(run_id: str) -> str:
    """Link to a run in the Dagster UI."""
    from django.conf import settings

    return f"{settings.DAGSTER_UI_URL.rstrip('/')}/runs/{run_id}" if run_id else ""


def _reload() -> None:
    import httpx
    from django.conf import settings

    query = (
        "mutation($name: String!) { reloadRepositoryLocation(repositoryLocationName: $name) "
        "{ __typename } }"
    )
    try:
        httpx.post(
            f"{settings.DAGSTER_WEBSERVER_URL.rstrip('/')}/graphql",
            json={"query": query, "variables": {"name": LOCATION_NAME}},
            timeout=300.0,
        )
    except httpx.HTTPError as exc:
        log.warning("could not ask Dagster to reload the code location: %s", exc)


def request_code_location_reload() -> None:
    """Ask the Dagster webserver to reload the code location (best effort, in the background)."""
    if os.environ.get("AUTOMATION_RELOAD_ON_PUBLISH", "1") == "0":
        return
    threading.Thread(target=_reload, name="reload-code-location", daemon=True).start()
