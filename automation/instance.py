"""The Dagster instance this process uses ($DAGSTER_HOME), opened once."""

from __future__ import annotations

import os
import threading

from dagster import DagsterInstance

_lock = threading.Lock()
_instance: DagsterInstance | None = None
_home: str | None = None


def get_instance() -> DagsterInstance:
    """The shared instance of $DAGSTER_HOME (reopened if DAGSTER_HOME changes, e.g. in tests)."""
    global _instance, _home
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        raise RuntimeError(
            "DAGSTER_HOME is not set: point it at the Dagster instance folder "
            "(the embedded default uses data/dagster)"
        )
    with _lock:
        if _instance is None or _home != home:
            _instance = DagsterInstance.get()
            _home = home
        return _instance
