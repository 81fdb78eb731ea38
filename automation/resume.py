"""Continuation runs: resume a suspended execution from the node that suspended it.

A node that suspends (approval, long wait) ends its run without output; its WorkflowSuspension
(crm/workflows/approvals.py) names the run and step. Once the suspension is resolved (a
decision, an expiry, a due time) a continuation run re-executes the parent run from that step
(`<step>*`, Dagster's re-execution with step selection): upstream outputs are loaded from the
parent run's IO manager, upstream nodes do not run again, and the node finds its resolution
and goes on along the handle it names. The continuation carries the execution's tags and
`dagster/parent_run_id`, so the Dagster UI links the runs and the CRM execution continues.

Exactly once: a resolved suspension is claimed by one atomic update that also chooses the
continuation's run id; the run is created with that id (Dagster refuses a second run with it).
A launcher that dies after the claim is repaired by `resume_pass` (the resumptions sensor),
with the same run id. Runs start like run-now runs: inline (a worker thread of this process,
in-process executor) or through the run queue (AUTOMATION_RUN_NOW=queue).
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future
from datetime import timedelta
from typing import Any

from crm.django_setup import setup_django

log = logging.getLogger("automation.resume")
RESUMED_NODE_TAG = "crm/resumed_node"
RESUMED_BY_TAG = "crm/resumed_by"
# A claim older than this whose run is missing or never started is repaired.
STALE_CLAIM_S = 60.0
# How long a decision's launcher waits for the suspended run to end (else the sensor resumes).
PARENT_END_WAIT_S = 30.0

_futures_lock = threading.Lock()
_futures: set[Future] = set()


def _track(future: Future) -> Future:
    with _futures_lock:
        _futures.add(future)
    future.add_done_callback(lambda done: _forget(done))
    return future


def _forget(future: Future) -> None:
    with _futures_lock:
        _futures.discard(future)


def wait_for_continuations(timeout_s: float = 60.0) -> None:
    """Wait until the continuations started from this process have ended (tests, shutdown)."""
    deadline = time.monotonic() + timeout_s
    while True:
        with _futures_lock:
            pending = list(_futures)
        if not pending:
            return
        for future in pending:
            future.result(timeout=max(0.1, deadline - time.monotonic()))


def _instance():
    from automation.instance import get_instance

    return get_instance()


def create_continuation_run(suspension, run_id: str, instance=None):
    """Create (not start) the continuation run of a claimed suspension with the claimed run id;
    returns (instance, reconstructable job, run). An existing run with that id is returned."""
    from dagster import build_reconstructable_job
    from dagster._core.execution.api import _resolve_reexecute_step_selection

    from automation.graph_factory.node_op import EXECUTION_TAG, SOURCE_TAG
    from automation.launcher import _remote_job_origin

    instance = instance or _instance()
    parent = instance.get_run_by_id(suspension.parent_run_id)
    if parent is None:
        raise LookupError(f"the suspended run {suspension.parent_run_id} no longer exists")
    version_id = suspension.execution.version_id or int(parent.tags["workflow_version_id"])
    recon = build_reconstructable_job(
        "automation.workflow_jobs", "job_for_version_id", reconstructable_args=(version_id,)
    )
    existing = instance.get_run_by_id(run_id)
    if existing is not None:
        return instance, recon, existing
    job = recon.get_definition()
    from crm.workflows.approvals import suspension_group

    # Every step of the group (the chunks of a for-each whose items suspended) and downstream.
    steps = sorted({f"{s.step_key}*" for s in suspension_group(suspension)})
    plan = _resolve_reexecute_step_selection(instance, recon, parent.run_config, parent, steps)
    tags = {
        **job.run_tags,
        EXECUTION_TAG: str(suspension.execution_id),
        SOURCE_TAG: parent.tags.get(SOURCE_TAG, suspension.execution.source),
        RESUMED_NODE_TAG: suspension.node_id[:200],
        RESUMED_BY_TAG: suspension.resolution,
    }
    run = instance.create_run_for_job(
        job_def=job,
        execution_plan=plan,
        run_id=run_id,
        run_config=parent.run_config,
        tags=tags,
        root_run_id=parent.root_run_id or parent.run_id,
        parent_run_id=parent.run_id,
        job_code_origin=recon.get_python_origin(),
        remote_job_origin=_remote_job_origin(job.name),
    )
    return instance, recon, run


def _execute_inline(instance, recon, run) -> str:
    """Execute a created run in this thread (in-process executor) and mirror its end."""
    from dagster._core.execution.api import execute_run

    from automation.sensors.executions import finish_execution_for_run

    execute_run(recon, run, instance)
    finished = instance.get_run_by_id(run.run_id)
    status = {"SUCCESS": "success", "CANCELED": "canceled"}.get(finished.status.value, "failed")
    finish_execution_for_run(finished, status)
    return run.run_id


def _start(instance, recon, run) -> Future | None:
    """Start a created run the way run-now starts runs: inline (a worker thread) or queued."""
    from automation.launcher import _run_pool, run_now_mode

    if run_now_mode() == "queue":
        instance.submit_run(run.run_id, workspace=None)
        return None
    return _track(_run_pool().submit(_guarded, _execute_inline, instance, recon, run))


def _guarded(fn, *args: Any) -> Any:
    from django.db import close_old_connections

    close_old_connections()
    try:
        return fn(*args)
    except Exception:
        log.exception("continuation %s failed", getattr(args[-1], "run_id", args))
        raise
    finally:
        close_old_connections()


def launch(suspension_id: str, instance=None) -> str | None:
    """Claim a ready suspension and start its continuation; returns the run id, or None when
    another caller claimed it (or it is not ready). A failure after the claim is repaired by
    `resume_pass` with the same run id."""
    setup_django()
    from crm.workflows.approvals import suspension_claim
    from crm.workflows.models import WorkflowSuspension

    run_id = suspension_claim(suspension_id)
    if run_id is None:
        return None
    suspension = WorkflowSuspension.objects.select_related("execution").get(pk=suspension_id)
    instance, recon, run = create_continuation_run(suspension, run_id, instance)
    log.info(
        "execution %s resumes at %s (%s) in run %s",
        suspension.execution_id,
        suspension.node_id,
        suspension.resolution,
        run.run_id,
    )
    _start(instance, recon, run)
    return run.run_id


def _parent_ended(suspension, instance) -> bool | None:
    """True when the suspended run has ended, False while it runs, None when it is missing."""
    run = instance.get_run_by_id(suspension.parent_run_id) if suspension.parent_run_id else None
    if run is None:
        return None if suspension.parent_run_id else False
    return run.is_finished


def _continue_when_parent_ends(suspension_id: str) -> str | None:
    """After a decision: wait (briefly) for the suspended run to end, then launch."""
    from crm.workflows.models import SuspensionState, WorkflowSuspension

    instance = _instance()
    deadline = time.monotonic() + PARENT_END_WAIT_S
    while time.monotonic() < deadline:
        suspension = WorkflowSuspension.objects.filter(pk=suspension_id).first()
        if suspension is None or suspension.state != SuspensionState.READY:
            return None
        if _parent_ended(suspension, instance):
            return launch(suspension_id, instance)
        time.sleep(0.05)
    log.info("suspension %s: its run has not ended yet; the sensor resumes it", suspension_id)
    return None


def start_continuation_soon(suspension_id) -> Future:
    """Start the continuation of a just-resolved suspension in a worker thread (called once
    the decision is committed). Whatever happens there, `resume_pass` catches up."""
    from automation.launcher import _run_pool

    return _track(_run_pool().submit(_guarded, _continue_when_parent_ends, str(suspension_id)))


def resume_pass(instance=None, *, stale_claim_s: float = STALE_CLAIM_S) -> dict[str, list[str]]:
    """One pass of the resumptions sensor: resolve what is due (waits, expired approvals),
    launch every ready continuation whose suspended run has ended, and repair claims whose
    launcher died. Returns the suspension ids by what happened to them."""
    setup_django()
    from crm.workflows.approvals import (
        now,
        suspension_failed,
        suspension_reclaim,
        suspensions_claimed_before,
        suspensions_expire_due,
        suspensions_ready,
    )

    instance = instance or _instance()
    done: dict[str, list[str]] = {"due": suspensions_expire_due(), "launched": []}
    done.update({"repaired": [], "failed": []})
    for suspension in suspensions_ready().select_related("execution")[:200]:
        ended = _parent_ended(suspension, instance)
        if not ended:
            continue
        try:
            if launch(str(suspension.pk), instance):
                done["launched"].append(str(suspension.pk))
        except Exception:
            log.exception("could not resume suspension %s", suspension.pk)
    cutoff = now() - timedelta(seconds=stale_claim_s)
    seen: set[str] = set()  # a continuation run resumes a group: repair it once
    for suspension in suspensions_claimed_before(cutoff)[:200]:
        if suspension.continuation_run_id in seen:
            continue
        seen.add(suspension.continuation_run_id)
        run = instance.get_run_by_id(suspension.continuation_run_id)
        if run is not None and run.is_finished:
            suspension_failed(
                suspension,
                f"the continuation run {run.run_id} ended ({run.status.value}) before "
                f"{suspension.node_id} resumed",
            )
            done["failed"].append(str(suspension.pk))
            continue
        if run is not None and run.status.value != "NOT_STARTED":
            continue  # queued or running: the run-status sensors follow it
        if not suspension_reclaim(suspension):
            continue
        try:
            instance_, recon, run = create_continuation_run(
                suspension, suspension.continuation_run_id, instance
            )
            _start(instance_, recon, run)
            done["repaired"].append(str(suspension.pk))
        except Exception:
            log.exception("could not repair the continuation of suspension %s", suspension.pk)
    return done
