"""The `automation` code location: one job per active published workflow, plus sensors."""

from __future__ import annotations

import json

import dagster as dg
from dagster._core.definitions.definitions_load_context import (
    DefinitionsLoadContext,
    DefinitionsLoadType,
)

from crm.django_setup import setup_django

VERSIONS_KEY = "automation/workflow_versions"


def _versions_to_build():
    """Latest active versions on first load; in run workers, exactly the versions loaded then."""
    from crm.workflows.models import WorkflowVersion
    from crm.workflows.selectors import workflow_versions_to_serve

    context = DefinitionsLoadContext.get()
    if context.load_type == DefinitionsLoadType.RECONSTRUCTION:
        pinned = context.reconstruction_metadata.get(VERSIONS_KEY)
        if pinned is not None:
            ids = list(json.loads(pinned).values())
            return list(
                WorkflowVersion.objects.filter(pk__in=ids).select_related("workflow__tenant")
            )
    return workflow_versions_to_serve()


@dg.definitions
def defs() -> dg.Definitions:
    setup_django()
    from automation.resources import default_resources
    from automation.sensors.executions import execution_status_sensors
    from automation.workflow_jobs import build_jobs

    built = build_jobs(_versions_to_build())
    context = DefinitionsLoadContext.get()
    if context.load_type == DefinitionsLoadType.INITIALIZATION:
        context.add_to_pending_reconstruction_metadata(VERSIONS_KEY, json.dumps(built.versions))
    return dg.Definitions(
        jobs=built.jobs,
        sensors=execution_status_sensors(),
        resources=default_resources(),
    )
