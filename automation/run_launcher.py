"""A Dagster run launcher whose run workers start warm: forked from a preloaded server.

Dagster's DefaultRunLauncher asks the code server to start each run in a new interpreter
(multiprocessing "spawn"), which imports Dagster, Django and the graph factory before the run
can start: 1.5–2 s of CPU per run, 3–4 s under load on two cores, most of a record trigger's
commit-to-start latency. ForkserverRunLauncher runs the same run worker as `dagster api
execute_run` (the body every Dagster launcher runs: it loads the job from the run's code origin
and executes it), in a process forked from a multiprocessing forkserver that imported those
modules once (`preload_modules`). A run then starts in ~0.3 s.

Each run worker is detached: the forked child forks the worker and exits, so the worker is not
a child of the daemon (a daemon restart neither waits for nor kills running runs, as with the
code server). Its host, pid and start time go in the run's `automation/run_worker` tag
(JSON), so that:
- `terminate` (from the daemon, the webserver or any process on that host) marks the run
  canceling and interrupts the worker (SIGINT: Dagster's own interrupt handling ends the run
  CANCELED);
- run monitoring (`check_run_worker_health`) sees a worker that died (killed, OOM) and fails
  its run, as Dagster does for its other launchers.

A detached worker is reparented to the host's init process, which reaps it when it ends; in a
container, run the daemon under an init (`docker run --init`, tini) rather than as PID 1.

Configure it in dagster.yaml (the embedded default does, see deploy/dagster.yaml):

    run_launcher:
      module: automation.run_launcher
      class: ForkserverRunLauncher
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import socket
from collections.abc import Mapping, Sequence
from typing import Any, Self

from dagster import DagsterRunStatus
from dagster._core.launcher import (
    CheckRunHealthResult,
    LaunchRunContext,
    RunLauncher,
    WorkerStatus,
)
from dagster._serdes import ConfigurableClass, ConfigurableClassData

from automation.worker import process_identity, worker_is_dead

WORKER_TAG = "automation/run_worker"
DEFAULT_PRELOAD = ("automation.run_worker_preload",)
START_TIMEOUT_S = 30.0


def _execute_run(run_id: str, instance_ref: Any, environ: dict[str, str]) -> None:
    """The run worker: what `dagster api execute_run` runs, in this (forked) process, with the
    launching process's environment (the forkserver's is the one it started with)."""
    os.environ.clear()
    os.environ.update(environ)
    from dagster._cli.api import _execute_run_command_body
    from dagster._core.instance import DagsterInstance
    from dagster._utils.interrupts import capture_interrupts

    with capture_interrupts(), DagsterInstance.from_ref(instance_ref) as instance:
        _execute_run_command_body(
            run_id, instance, lambda _event: None, set_exit_code_on_failure=False
        )


def _detach(run_id: str, instance_ref: Any, environ: dict[str, str], reply: Any) -> None:
    """Fork the run worker, send back its pid and exit, leaving it to init to reap."""
    pid = os.fork()
    if pid:
        reply.send(pid)
        reply.close()
        os._exit(0)
    reply.close()
    code = 0
    try:
        _execute_run(run_id, instance_ref, environ)
    except BaseException:  # noqa: BLE001 - already in the run's event log; end this process
        code = 1
    finally:
        os._exit(code)


def _worker(run) -> dict[str, Any] | None:
    """The identity (host, pid, start time) of the run's worker, from its tag."""
    try:
        return json.loads(run.tags[WORKER_TAG])
    except (KeyError, ValueError):
        return None


class ForkserverRunLauncher(RunLauncher, ConfigurableClass):
    """Launches each run in a run worker forked from a preloaded forkserver (this host)."""

    def __init__(
        self,
        inst_data: ConfigurableClassData | None = None,
        preload_modules: Sequence[str] = DEFAULT_PRELOAD,
    ):
        self._inst_data = inst_data
        self._preload = list(preload_modules)
        self._context = None
        super().__init__()

    @property
    def inst_data(self) -> ConfigurableClassData | None:
        return self._inst_data

    @classmethod
    def config_type(cls) -> dict[str, Any]:
        from dagster import Array, Field, Noneable

        return {
            "preload_modules": Field(
                Noneable(Array(str)),
                is_required=False,
                description="Modules the forkserver imports once for every run worker.",
            )
        }

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData, config_value: Mapping[str, Any]
    ) -> Self:
        preload = config_value.get("preload_modules") or DEFAULT_PRELOAD
        return cls(inst_data=inst_data, preload_modules=preload)

    def _mp(self):
        if self._context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(self._preload)
            self._context = context
        return self._context

    def launch_run(self, context: LaunchRunContext) -> None:
        run = context.dagster_run
        mp = self._mp()
        receive, send = mp.Pipe(duplex=False)
        starter = mp.Process(
            target=_detach,
            args=(run.run_id, self._instance.get_ref(), dict(os.environ), send),
            name=f"dagster-run-{run.run_id[:8]}",
        )
        starter.start()
        send.close()
        try:
            if not receive.poll(START_TIMEOUT_S):
                raise RuntimeError(f"the run worker for {run.run_id} did not start")
            pid = receive.recv()
        finally:
            receive.close()
            starter.join(START_TIMEOUT_S)
        self._instance.add_run_tags(run.run_id, {WORKER_TAG: json.dumps(process_identity(pid))})

    def terminate(self, run_id: str) -> bool:
        """Interrupt the run's worker (the run ends Canceled). A run not launched yet, or whose
        worker is gone, is marked canceled; one being launched is marked canceling, which its
        worker honours when it starts; a worker on another host cannot be reached from here."""
        run = self._instance.get_run_by_id(run_id)
        if run is None or run.is_finished:
            return False
        worker = _worker(run)
        if worker is not None and worker.get("host") != socket.gethostname():
            self._instance.report_engine_event(
                f"Could not interrupt the run worker: it runs on {worker.get('host')}.",
                run,
                cls=self.__class__,
            )
            return False
        alive = worker is not None and not worker_is_dead(worker)
        run = self._instance.get_run_by_id(run_id)  # it may have ended meanwhile
        if run is None or run.is_finished:
            return False
        if worker is not None and not alive:
            self._instance.report_run_canceled(run, "The run worker process is gone.")
            return True
        if worker is None and run.status in (DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED):
            self._instance.report_run_canceled(run, "Canceled before it was launched.")
            return True
        self._instance.report_run_canceling(run)
        if worker is not None:
            os.kill(int(worker["pid"]), signal.SIGINT)
        return True

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run) -> CheckRunHealthResult:
        worker = _worker(run)
        if worker is None:
            return CheckRunHealthResult(WorkerStatus.UNKNOWN, "no run worker recorded yet")
        if worker.get("host") != socket.gethostname():
            return CheckRunHealthResult(
                WorkerStatus.UNKNOWN, f"the run worker is on {worker.get('host')}"
            )
        if worker_is_dead(worker):
            return CheckRunHealthResult(
                WorkerStatus.FAILED, f"run worker process {worker.get('pid')} is gone"
            )
        return CheckRunHealthResult(WorkerStatus.RUNNING)
