"""Schedule triggers: cron and time zone are validated at publish (codes, fields); an active
scheduled workflow is a Dagster schedule on its job in the code location (cron + execution
time zone); a schedule tick runs the workflow with {scheduled_time, timezone}."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import pytest

from automation.definitions import defs
from automation.instance import get_instance
from automation.sensors.executions import finish_execution_for_run
from automation.sensors.schedules import next_run_times, schedule_name, trigger_schedules
from automation.workflow_jobs import job_for_version_id
from crm.workflows.errors import WorkflowValidationError
from crm.workflows.services import workflow_create, workflow_publish

from .conftest import executions_of, notify_definition, publish

pytestmark = pytest.mark.django_db(transaction=True)
WEEKDAYS_9 = {"trigger_type": "schedule", "cron": "0 9 * * 1-5", "timezone": "Europe/Paris"}


@pytest.mark.parametrize(
    ("config", "field", "words"),
    [
        ({"cron": "61 * * * *"}, "config.cron", "not a valid 5-field cron"),
        ({"cron": "0 9 * *"}, "config.cron", "not a valid 5-field cron"),
        ({"cron": "every day"}, "config.cron", "not a valid 5-field cron"),
        ({"cron": "0 9 * * *", "timezone": "Mars/Olympus"}, "config.timezone", "unknown time"),
        ({}, "config", "needs a cron expression"),
    ],
)
def test_invalid_schedules_are_publish_errors(tenant, config, field, words):
    workflow = workflow_create(
        tenant=tenant,
        name="Bad schedule",
        definition=notify_definition({"trigger_type": "schedule", **config}, "t"),
    )
    with pytest.raises(WorkflowValidationError) as raised:
        workflow_publish(workflow=workflow)
    [issue] = raised.value.errors
    assert issue["code"] == "graph.E003" and issue["node_id"] == "start"
    assert issue["field"] == field and words in issue["message"]
    assert workflow.versions.count() == 0


def test_the_schedule_is_in_the_code_location_with_the_workflow_job(tenant):
    workflow = publish(tenant, "Morning report", WEEKDAYS_9)
    assert workflow.trigger_type == "scheduled"
    repository = defs()
    schedule = repository.get_schedule_def(schedule_name("acme__morning_report"))
    assert schedule.cron_schedule == "0 9 * * 1-5"
    assert schedule.execution_timezone == "Europe/Paris"
    assert schedule.job_name == "acme__morning_report"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert repository.has_job("acme__morning_report")


def test_a_schedule_tick_runs_the_workflow(tenant):
    workflow = publish(tenant, "Nightly", {**WEEKDAYS_9, "cron": "30 2 * * *"}, title="nightly")
    [schedule] = trigger_schedules(["acme__nightly"])
    moment = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
    context = dg.build_schedule_context(instance=get_instance(), scheduled_execution_time=moment)
    [request] = schedule.evaluate_tick(context).run_requests
    assert request.run_key == f"schedule:{workflow.pk}:{moment.isoformat()}"
    job = job_for_version_id(workflow.current_version.pk)
    result = job.execute_in_process(
        run_config=request.run_config, instance=get_instance(), tags=request.tags
    )
    finish_execution_for_run(get_instance().get_run_by_id(result.run_id), "success")
    [execution] = executions_of(workflow)
    assert execution.status == "success" and execution.source == "schedule"
    assert execution.trigger_data == {
        "scheduled_time": moment.isoformat(),
        "timezone": "Europe/Paris",
    }


def test_next_run_times_follow_the_time_zone():
    start = datetime(2026, 3, 27, 12, 0, tzinfo=UTC).timestamp()  # a Friday; DST on Sunday 29
    times = next_run_times("0 9 * * 1-5", "Europe/Paris", 3, start)
    assert times == [
        "2026-03-30T09:00:00+02:00",
        "2026-03-31T09:00:00+02:00",
        "2026-04-01T09:00:00+02:00",
    ]


def test_workflow_trigger_settings_apply_when_the_node_names_no_trigger_type(tenant):
    bad = workflow_create(
        tenant=tenant,
        name="Settings schedule",
        definition=notify_definition({"sample_payload": {}}, "t"),
        trigger_type="scheduled",
        trigger_config={"cron": "0 25 * * *"},
    )
    with pytest.raises(WorkflowValidationError) as raised:
        workflow_publish(workflow=bad)
    [issue] = raised.value.errors
    assert issue["field"] == "trigger_config.cron" and issue["code"] == "graph.E003"
    bad.trigger_config = {"cron": "0 5 * * *", "timezone": "Asia/Tokyo"}
    bad.save()
    workflow_publish(workflow=bad)
    [schedule] = trigger_schedules(["acme__settings_schedule"])
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 5 * * *", "Asia/Tokyo")
