"""What ForkserverRunLauncher's forkserver does once, so that run workers start warm: import
Dagster's run worker, Django (set up, no connection kept) and the code location's modules, and
open (then close) the Dagster instance, which loads its storage modules. What it loaded is then
frozen out of the garbage collector's reach (`gc.freeze()`, as Python's docs advise before
fork): run workers neither scan it in every full collection nor copy its pages by touching it."""

from __future__ import annotations

import gc
import os

import dagster._cli.api  # noqa: F401 - the run worker body
from dagster._core.instance import DagsterInstance

from crm.django_setup import setup_django

setup_django()

from django.db import connections  # noqa: E402

import automation.definitions  # noqa: E402, F401
import automation.resources  # noqa: E402, F401
import automation.workflow_jobs  # noqa: E402, F401
import crm_resources.ai  # noqa: E402, F401

if os.environ.get("DAGSTER_HOME"):
    DagsterInstance.get().dispose()
connections.close_all()  # a forked worker must open its own
gc.freeze()
