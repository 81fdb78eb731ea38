"""Dagster schedules for workflows with a schedule trigger: the workflow's cron and time zone,
targeting the workflow's job, so the Dagster UI shows each schedule beside its job."""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg

from .trigger_dispatch import SOURCE_TAG


def schedule_name(job_name: str) -> str:
    return f"{job_name}__schedule"


def _evaluation(workflow_id: str, tenant: str, version_id: int, timezone: str):
    def evaluate(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        from automation.graph_factory.compile import trigger_op_name
        from automation.workflow_jobs import graph_for_version_id
        from crm.triggers.payloads import schedule_payload

        scheduled = context.scheduled_execution_time
        payload = schedule_payload(scheduled_time=scheduled.isoformat(), timezone=timezone)
        op = trigger_op_name(graph_for_version_id(version_id))
        return dg.RunRequest(
            run_key=f"schedule:{workflow_id}:{scheduled.isoformat()}",
            run_config={"ops": {op: {"config": {"payload": payload}}}},
            tags={"tenant": tenant, "workflow_id": workflow_id, SOURCE_TAG: "schedule"},
        )

    return evaluate


def trigger_schedules(job_names: Iterable[str]) -> list[dg.ScheduleDefinition]:
    """A schedule per active scheduled workflow whose job the code location serves."""
    from automation.graph_factory.naming import job_name
    from crm.triggers.selectors import trigger_targets

    served = set(job_names)
    schedules = []
    for workflow_id, target in trigger_targets(trigger_types=["scheduled"]).items():
        workflow, config = target.workflow, target.config
        name = job_name(workflow.tenant.slug, workflow.name)
        if name not in served or not config.cron:
            continue
        schedules.append(
            dg.ScheduleDefinition(
                name=schedule_name(name),
                cron_schedule=config.cron,
                execution_timezone=config.timezone,
                job_name=name,
                execution_fn=_evaluation(
                    workflow_id, workflow.tenant.slug, target.version.pk, config.timezone
                ),
                default_status=dg.DefaultScheduleStatus.RUNNING,
                description=f"{workflow.name} (tenant {workflow.tenant.slug}): "
                f"{config.cron} in {config.timezone}",
            )
        )
    return schedules


def next_run_times(cron: str, timezone: str, count: int, after: float) -> list[str]:
    """The next `count` times the cron fires in the time zone after a POSIX timestamp."""
    from dagster._utils.schedules import cron_string_iterator

    times = cron_string_iterator(after, cron, timezone)
    found: list[str] = []
    for moment in times:
        if moment.timestamp() > after:
            found.append(moment.isoformat())
        if len(found) >= count:
            break
    return found
