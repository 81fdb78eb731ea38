"""Which Dagster executor workflow jobs use, chosen by AUTOMATION_EXECUTOR.

- `in_process` (default): every op in the run worker's process; the fastest for the embedded
  default (a step costs ~0.1 s instead of 1–2 s for a subprocess).
- `multiprocess`: each op in its own process.
- `celery`: each op is a Celery task run by `bin/celery-worker` processes, on any machine that
  shares the configuration (dagster-celery). Broker and backend come from CELERY_BROKER_URL and
  CELERY_RESULT_BACKEND at run time (as env references: no URL is stored in job snapshots).
"""

from __future__ import annotations

import os

from dagster import ExecutorDefinition, in_process_executor, multiprocess_executor

EXECUTORS = ("in_process", "multiprocess", "celery")


def job_executor() -> ExecutorDefinition:
    """The executor for workflow jobs in this process's configuration."""
    name = os.environ.get("AUTOMATION_EXECUTOR", "in_process")
    if name == "in_process":
        return in_process_executor
    if name == "multiprocess":
        return multiprocess_executor
    if name == "celery":
        from dagster_celery import celery_executor

        return celery_executor.configured(
            {
                "broker": {"env": "CELERY_BROKER_URL"},
                "backend": {"env": "CELERY_RESULT_BACKEND"},
                "include": ["automation.celery_worker"],
            },
            name="celery",
        )
    raise ValueError(f"AUTOMATION_EXECUTOR={name!r}: expected one of {', '.join(EXECUTORS)}")
