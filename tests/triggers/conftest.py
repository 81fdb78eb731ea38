"""Trigger fixtures: workflows published with a trigger, and a daemon stand-in that evaluates a
sensor for real (build_sensor_context on the session's Dagster instance) and runs what it asks
the way the daemon does (a run key already used by this sensor starts nothing); when a run
ends, its execution is finished as the run-status sensors do."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import dagster as dg
import pytest

from automation.instance import get_instance
from automation.sensors.executions import finish_execution_for_run
from automation.sensors.trigger_dispatch import Source, evaluate
from automation.workflow_jobs import job_for_version_id
from crm.workflows.models import WorkflowExecution
from crm.workflows.services import workflow_create, workflow_publish


def node(node_id: str, node_type: str, config: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "id": node_id,
        "type": node_type,
        "position": {"x": 0, "y": 0},
        "data": {"label": node_id, "config": config or {}},
    }


def notify_definition(trigger: dict[str, Any], title: str) -> dict[str, Any]:
    """trigger -> a task titled `title` (an expression over the trigger payload)."""
    return {
        "nodes": [
            node("start", "trigger", trigger),
            node("note", "task_notify", {"title": title, "assign_to_role": "editor"}),
        ],
        "edges": [{"id": "start-note", "source": "start", "target": "note"}],
    }


def publish(tenant, name: str, trigger: dict[str, Any], title: str = "t", **settings):
    workflow = workflow_create(
        tenant=tenant, name=name, definition=notify_definition(trigger, title), **settings
    )
    workflow_publish(workflow=workflow)
    workflow.refresh_from_db()
    return workflow


@dataclass
class Daemon:
    """Evaluates a trigger sensor and runs its requests; `cursor` is what the daemon saved."""

    source: Source
    sensor_name: str
    cursor: str | None = None
    run_ids: list[str] = field(default_factory=list)

    def evaluate(self, repository_def=None, allowed=None) -> dg.SensorResult:
        """A tick's evaluation; `allowed`: the job names the sensor targets (None: any)."""
        context = dg.build_sensor_context(
            instance=get_instance(), cursor=self.cursor, repository_def=repository_def
        )
        return evaluate(self.source, context.cursor, context.repository_def, allowed)

    def launch(self, result: dg.SensorResult) -> list[str]:
        """Start each requested run once per run key (as the daemon does), in process."""
        instance = get_instance()
        started = []
        for request in result.run_requests or []:
            tags = {"dagster/run_key": request.run_key, "dagster/sensor_name": self.sensor_name}
            if instance.get_run_ids(dg.RunsFilter(tags=tags)):
                continue
            job = job_of(request)
            outcome = job.execute_in_process(
                run_config=request.run_config,
                instance=instance,
                tags={**request.tags, **tags},
                raise_on_error=False,
            )
            # What the run-status sensors do when the run ends.
            finish_execution_for_run(
                instance.get_run_by_id(outcome.run_id), "success" if outcome.success else "failed"
            )
            started.append(outcome.run_id)
        self.run_ids += started
        return started

    def tick(self, repository_def=None, allowed=None) -> dg.SensorResult:
        """Evaluate, launch, then commit the cursor: a whole daemon tick."""
        result = self.evaluate(repository_def, allowed)
        self.launch(result)
        self.cursor = result.cursor
        return result


def job_of(request: dg.RunRequest):
    """The job a trigger run request targets (the version its batch was planned with)."""
    from crm.triggers.models import TriggerBatch

    batch = TriggerBatch.objects.get(pk=request.tags["crm/trigger_batch"])
    job = job_for_version_id(batch.version_id)
    assert job.name == request.job_name
    return job


@pytest.fixture
def record_daemon() -> Daemon:
    from automation.sensors.record_events import RECORD_SOURCE, SENSOR_NAME

    daemon = Daemon(RECORD_SOURCE, SENSOR_NAME)
    daemon.tick()  # the sensor's first tick: watching events from now on
    return daemon


@pytest.fixture
def webhook_daemon() -> Daemon:
    from automation.sensors.webhooks import SENSOR_NAME, WEBHOOK_SOURCE

    daemon = Daemon(WEBHOOK_SOURCE, SENSOR_NAME)
    daemon.tick()  # the sensor's first tick: watching events from now on
    return daemon


def executions_of(workflow) -> list[WorkflowExecution]:
    return list(WorkflowExecution.objects.filter(workflow=workflow).order_by("started_at"))
