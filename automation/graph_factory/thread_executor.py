"""The embedded default's Dagster executor: every step in the run worker's process, several
at once in threads.

Dagster has no threaded executor (dagster-io/dagster#4041): its in-process executor runs one
step after another, and its multiprocess executor pays a process start per step (1-2 s here).
A for-each body is I/O-bound (the AI node waits on the model server, the record node on its
database), so one step's waiting is another's working time: with the chunks' steps in threads,
chunk 0's record update runs while chunk 1 is being classified.

This is Dagster's in-process plan loop (execute_plan.inner_plan_execution_iterator) with
`ActiveExecution(max_concurrent=...)` handing out several steps: each runs Dagster's own
`dagster_event_sequence_for_step` in a worker thread and queues its events; this thread
yields them and feeds them to the ActiveExecution (which only it touches), so retries,
skips, dynamic outputs and hooks behave as in process. Steps of older chunks go first
(`oldest_chunk_first`), so a chunk's later body steps do not wait behind every chunk's first.

Run config `execution: config: max_concurrent: 1` gives one step at a time again.
Termination (SIGTERM to the run worker, which Dagster captures) is polled here, as the
multiprocess executor does: the run is interrupted at once and the steps then running are
abandoned in their daemon threads, which end with the worker process.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from functools import partial

from dagster import Field, Int, executor
from dagster._core.definitions.executor_definition import get_retries_config
from dagster._core.errors import DagsterExecutionInterruptedError
from dagster._core.events import DagsterEvent, EngineEventData
from dagster._core.execution.api import ExecuteRunWithPlanIterable
from dagster._core.execution.compute_logs import create_compute_log_file_key
from dagster._core.execution.context.system import PlanExecutionContext, PlanOrchestrationContext
from dagster._core.execution.context_creation_job import PlanExecutionContextManager
from dagster._core.execution.plan.active import _default_sort_key
from dagster._core.execution.plan.execute_plan import (
    _trigger_hook,
    dagster_event_sequence_for_step,
)
from dagster._core.execution.plan.instance_concurrency_context import InstanceConcurrencyContext
from dagster._core.execution.plan.plan import ExecutionPlan
from dagster._core.execution.plan.step import ExecutionStep
from dagster._core.execution.retries import RetryMode
from dagster._core.executor.base import Executor
from dagster._utils.error import serializable_error_info_from_exc_info

DEFAULT_STEP_THREADS = 4
_DONE = object()  # a step's thread has nothing more to say


def default_threads() -> int:
    """AUTOMATION_STEP_THREADS, else DEFAULT_STEP_THREADS."""
    return max(1, int(os.environ.get("AUTOMATION_STEP_THREADS", DEFAULT_STEP_THREADS)))


def oldest_chunk_first(step: ExecutionStep) -> tuple[float, str]:
    """Sort key: Dagster's own (its priority tag), then the step's mapping key (unmapped
    steps first). Chunk keys are zero-padded, so text order is chunk order."""
    return (_default_sort_key(step), step.get_mapping_key() or "")


def _run_step(step_context, events: queue.Queue) -> None:
    """A step's thread: its events go to the run's thread through `events`."""
    from django.db import connections

    key = step_context.step.key
    try:
        for event in dagster_event_sequence_for_step(step_context):
            events.put((key, event))
    except BaseException as exc:  # noqa: BLE001 - re-raised in the run's thread
        events.put((key, exc))
    finally:
        connections.close_all()  # this thread's CRM connections: the thread ends here
        events.put((key, _DONE))


def threaded_plan_iterator(
    job_context: PlanExecutionContext, execution_plan: ExecutionPlan, *, max_concurrent: int
) -> Iterator[DagsterEvent]:
    """Execute the plan's steps, up to `max_concurrent` at once (see the module docstring)."""
    compute_log_manager = job_context.instance.compute_log_manager
    step_keys = [step.key for step in execution_plan.get_steps_to_execute_in_topo_order()]
    events: queue.Queue = queue.Queue()
    with ExitStack() as stack:
        concurrency = stack.enter_context(
            InstanceConcurrencyContext(job_context.instance, job_context.dagster_run)
        )
        active = stack.enter_context(execution_plan.start(
            retry_mode=job_context.retry_mode, sort_key_fn=oldest_chunk_first,
            max_concurrent=max_concurrent, instance_concurrency_context=concurrency,
            step_dependency_config=job_context.step_dependency_config,
        ))
        log_key = compute_log_manager.build_log_key_for_run(
            job_context.run_id, create_compute_log_file_key()
        )
        try:  # capture the process's output for the whole run, as the in-process executor
            log_context = stack.enter_context(compute_log_manager.capture_logs(log_key))
            yield DagsterEvent.capture_logs(job_context, step_keys, log_key, log_context)
        except Exception:  # noqa: BLE001 - reported, the run goes on without capture
            yield DagsterEvent.engine_event(
                job_context, "Exception while setting up compute log capture",
                EngineEventData(error=serializable_error_info_from_exc_info(sys.exc_info())),
            )
        running: dict[str, tuple] = {}  # step key -> (step context, its events so far)
        while not active.is_complete or running:
            if active.check_for_interrupts():  # SIGTERM/SIGINT, captured by Dagster
                active.mark_interrupted()
                yield DagsterEvent.engine_event(
                    job_context, f"Interrupted; abandoned the running steps: {sorted(running)}",
                    EngineEventData.interrupted(sorted(running)),
                )
                raise DagsterExecutionInterruptedError()
            if not active.is_complete:
                for step in active.get_steps_to_execute(limit=max_concurrent - len(running)):
                    step_context = job_context.for_step(step, active.get_known_state())
                    running[step.key] = (step_context, [])
                    threading.Thread(  # daemon: an interrupted worker exits without them
                        target=_run_step, args=(step_context, events), daemon=True,
                        name=f"dagster-step {step.key}"[:100],
                    ).start()
                yield from active.concurrency_event_iterator(job_context)
            if not running:
                active.sleep_til_ready()
                continue
            try:
                key, event = events.get(timeout=max(0.05, min(active.sleep_interval(), 0.5)))
            except queue.Empty:
                continue  # interrupted? a step up for retry ready now?
            step_context, step_events = running[key]
            if isinstance(event, BaseException):
                raise event
            if event is not _DONE:
                step_events.append(event)
                yield event
                active.handle_event(event)
                continue
            del running[key]
            active.verify_complete(job_context, key)
            for plan_event in active.plan_events_iterator(job_context):
                step_events.append(plan_event)
                yield plan_event
            yield from _trigger_hook(step_context, step_events)


class ThreadedExecutor(Executor):
    """Dagster's in-process execution with up to `max_concurrent` steps at once."""

    def __init__(self, retries: RetryMode, max_concurrent: int):
        self._retries = retries
        self.max_concurrent = max_concurrent

    @property
    def retries(self) -> RetryMode:
        return self._retries

    def execute(
        self, plan_context: PlanOrchestrationContext, execution_plan: ExecutionPlan
    ) -> Iterator[DagsterEvent]:
        pid = os.getpid()
        step_keys = execution_plan.step_keys_to_execute
        yield DagsterEvent.engine_event(
            plan_context,
            f"Executing steps in process (pid: {pid}), up to {self.max_concurrent} at once",
            event_specific_data=EngineEventData.in_process(pid, step_keys),
        )
        yield from iter(ExecuteRunWithPlanIterable(
            execution_plan=plan_context.execution_plan,
            iterator=partial(threaded_plan_iterator, max_concurrent=self.max_concurrent),
            execution_context_manager=PlanExecutionContextManager(
                job=plan_context.job,
                retry_mode=plan_context.retry_mode,
                execution_plan=plan_context.execution_plan,
                run_config=plan_context.run_config,
                dagster_run=plan_context.dagster_run,
                instance=plan_context.instance,
                raise_on_error=plan_context.raise_on_error,
                output_capture=plan_context.output_capture,
            ),
        ))
        yield DagsterEvent.engine_event(
            plan_context, f"Finished steps in process (pid: {pid})",
            event_specific_data=EngineEventData.in_process(pid, step_keys),
        )


@executor(
    name="in_process_threads",
    config_schema={
        "retries": get_retries_config(),
        "max_concurrent": Field(
            Int, is_required=False,
            description="Steps that may run at once, in threads of the run worker "
                        f"(default: AUTOMATION_STEP_THREADS, else {DEFAULT_STEP_THREADS}).",
        ),
    },
)
def in_process_threads_executor(init_context) -> ThreadedExecutor:
    """Every step in the run worker's process, up to `max_concurrent` at once in threads."""
    config = init_context.executor_config
    return ThreadedExecutor(
        retries=RetryMode.from_config(config["retries"]),
        max_concurrent=max(1, config.get("max_concurrent") or default_threads()),
    )
