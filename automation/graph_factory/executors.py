"""Which Dagster executor workflow jobs use, chosen by AUTOMATION_EXECUTOR.

- `in_process` (default): every op in the run worker's process, up to AUTOMATION_STEP_THREADS
  (4) at once in threads (thread_executor.py); the fastest for the embedded default (a step
  costs ~0.1 s instead of 1–2 s for a subprocess).
- `multiprocess`: each op in its own process.
- `celery`: each op is a Celery task run by `bin/celery-worker` processes, on any machine that
  shares the configuration (dagster-celery). Broker and backend come from CELERY_BROKER_URL and
  CELERY_RESULT_BACKEND at run time (as env references: no URL is stored in job snapshots).

A Celery worker that dies mid-step (killed, OOM, machine lost) must not lose the step:
`celery_settings()` (used by the jobs and, through `worker_config_yaml()`, by bin/celery-worker)
acknowledges a step's message only once the step has finished (`task_acks_late`), so the broker
hands an unfinished step to another worker: RabbitMQ as soon as the dead worker's connection
drops, Redis once the message has been unacknowledged for `CELERY_VISIBILITY_TIMEOUT` seconds
(default 3600; it must exceed the longest step, or a step still running is handed out twice).
A pool process that dies under a live worker fails its step instead (`task_reject_on_worker_lost`
off: a step that kills its process every time cannot loop); the run fails and Dagster's run
retries re-execute it from failure. Record writes in for-each bodies are once per (execution,
node, item), so a step that runs again writes nothing twice.
"""

from __future__ import annotations

import json
import os
from typing import Any

from dagster import ExecutorDefinition, multiprocess_executor

from .thread_executor import in_process_threads_executor

EXECUTORS = ("in_process", "multiprocess", "celery")


def celery_settings() -> dict[str, Any]:
    """Celery app settings (dagster-celery `config_source`) for the jobs and the workers."""
    from dagster_celery.defaults import broker_transport_options

    return {
        "task_acks_late": True,
        "task_reject_on_worker_lost": False,
        "broker_transport_options": {
            **broker_transport_options,
            "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600")),
            # Redis: look for messages of dead workers every 10 s (kombu's default is 100 s).
            "unacked_restore_interval": 10,
            "unacked_restore_throttle": 1,
        },
    }


def worker_config_yaml() -> str:
    """The executor config a worker starts with (`dagster-celery worker start -y`)."""
    config = {
        "broker": os.environ["CELERY_BROKER_URL"],
        "backend": os.environ.get("CELERY_RESULT_BACKEND") or os.environ["CELERY_BROKER_URL"],
        "include": ["automation.celery_worker"],
        "config_source": celery_settings(),
    }
    return json.dumps({"execution": {"config": config}}, indent=2)  # JSON is YAML


def job_executor() -> ExecutorDefinition:
    """The executor for workflow jobs in this process's configuration."""
    name = os.environ.get("AUTOMATION_EXECUTOR", "in_process")
    if name == "in_process":
        return in_process_threads_executor
    if name == "multiprocess":
        return multiprocess_executor
    if name == "celery":
        from dagster_celery import celery_executor

        return celery_executor.configured(
            {
                "broker": {"env": "CELERY_BROKER_URL"},
                "backend": {"env": "CELERY_RESULT_BACKEND"},
                "include": ["automation.celery_worker"],
                "config_source": celery_settings(),
            },
            name="celery",
        )
    raise ValueError(f"AUTOMATION_EXECUTOR={name!r}: expected one of {', '.join(EXECUTORS)}")


if __name__ == "__main__":  # bin/celery-worker
    print(worker_config_yaml())
