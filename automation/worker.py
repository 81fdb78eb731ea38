"""Who runs an execution: this process's identity, and whether a recorded one is still alive."""

from __future__ import annotations

import os
import socket
from typing import Any

import psutil


def current_worker() -> dict[str, Any] | None:
    """Host, pid and start time of this process when it is the run worker: with the in-process
    executor every step runs there. With the multiprocess or Celery executor a step's process is
    not the run's (it ends, or is a Celery worker whose death the broker answers by handing its
    step to another worker: see automation/graph_factory/executors.py), so None: recording it
    would make a healthy run look dead once that process ends or crashes."""
    if os.environ.get("AUTOMATION_EXECUTOR", "in_process") != "in_process":
        return None
    return process_identity(os.getpid())


def process_identity(pid: int) -> dict[str, Any]:
    """Host, pid and start time of a process of this host (start time 0 if it has ended)."""
    try:
        started = psutil.Process(pid).create_time()
    except psutil.NoSuchProcess:
        started = 0.0
    return {"host": socket.gethostname(), "pid": pid, "started": started}


def worker_is_dead(worker: dict[str, Any] | None) -> bool:
    """True only when the worker ran on this host and its process is gone (or was replaced)."""
    if not worker or worker.get("host") != socket.gethostname():
        return False
    try:
        process = psutil.Process(int(worker["pid"]))
        if process.status() == psutil.STATUS_ZOMBIE:
            return True
        return abs(process.create_time() - float(worker["started"])) > 1.0
    except psutil.NoSuchProcess:
        return True
    except (KeyError, ValueError, TypeError):
        return False
