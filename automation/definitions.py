"""The `automation` code location: one job per active published workflow, plus sensors.

On first load (code server) every active workflow's latest version is validated and compiled;
broken ones are logged and skipped. The job name -> version id map is stored as reconstruction
metadata, so a run worker rebuilds exactly the version its run was launched with, and builds
only that one job (the repository's jobs are lazy there).
"""

from __future__ import annotations

import json

import dagster as dg
from dagster._core.definitions.definitions_load_context import (
    DefinitionsLoadContext,
    DefinitionsLoadType,
)

from crm.django_setup import setup_django

VERSIONS_KEY = "automation/workflow_versions"
REPOSITORY_NAME = "__repository__"


def _lazy_job(build, version_id: int):
    def load():
        return build(version_id)

    return load


def _jobs() -> dict[str, object]:
    from automation.workflow_jobs import build_jobs, job_for_version_id
    from crm.workflows.selectors import workflow_versions_to_serve

    context = DefinitionsLoadContext.get()
    if context.load_type == DefinitionsLoadType.RECONSTRUCTION:
        pinned = context.reconstruction_metadata.get(VERSIONS_KEY)
        if pinned is not None:
            return {
                name: _lazy_job(job_for_version_id, version_id)
                for name, version_id in json.loads(pinned).items()
            }
    built = build_jobs(workflow_versions_to_serve())
    context.add_to_pending_reconstruction_metadata(VERSIONS_KEY, json.dumps(built.versions))
    return {job.name: job for job in built.jobs}


@dg.definitions
def defs() -> dg.RepositoryDefinition:
    setup_django()
    from automation.sensors.executions import execution_sensors
    from automation.sensors.failure_handlers import failure_handler_job, failure_handler_sensors
    from automation.sensors.record_events import record_event_sensors
    from automation.sensors.resumptions import resumption_sensors
    from automation.sensors.schedules import trigger_schedules
    from automation.sensors.webhooks import webhook_sensors

    jobs = {**_jobs(), failure_handler_job.name: failure_handler_job}
    sensors = {s.name: s for s in execution_sensors() + failure_handler_sensors()}
    sensors.update(
        {s.name: s for s in record_event_sensors(jobs) + webhook_sensors(jobs)}
    )
    sensors.update({s.name: s for s in resumption_sensors()})
    schedules = {s.name: s for s in trigger_schedules(jobs)}

    @dg.repository(name=REPOSITORY_NAME, description="Published CRM workflows")
    def automation():
        return {"jobs": jobs, "sensors": sensors, "schedules": schedules}

    return automation
