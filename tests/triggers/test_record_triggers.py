"""Record triggers end to end: a record change writes an outbox event; a real evaluation of the
record-event sensor asks for a run keyed by the event id; the run executes the workflow on the
Dagster instance. Filters (kind, pipelines, fields, from/to, conditions) decide what starts."""

from __future__ import annotations

import pytest

from automation.instance import get_instance
from crm.records.models import Pipeline
from crm.records.services import record_create, record_delete, record_update
from crm.workflows.models import Task

from .conftest import executions_of, publish

pytestmark = pytest.mark.django_db(transaction=True)


def test_record_created_starts_the_workflow_with_the_event_payload(tenant, deals, record_daemon):
    workflow = publish(
        tenant,
        "On new deal",
        {"trigger_type": "record_created"},
        title="new {{ trigger.record.data.name }} in {{ trigger.pipeline }}",
    )
    record = record_create(tenant=tenant, pipeline=deals, data={"name": "Ada", "amount": 5})
    result = record_daemon.tick()
    [request] = result.run_requests
    assert request.run_key.startswith("record:") and request.run_key.endswith(str(workflow.pk))
    assert request.tags["tenant"] == "acme" and request.tags["workflow_id"] == str(workflow.pk)
    [execution] = executions_of(workflow)
    assert execution.status == "success"
    assert execution.source == "record_event"
    payload = execution.trigger_data
    assert payload["event"] == "record_created" and payload["tenant"] == "acme"
    assert payload["record"] == {"id": record.pk, "data": {"name": "Ada", "amount": 5}}
    assert set(payload) >= {"event_id", "changed_fields", "actor", "timestamp", "pipeline"}
    assert Task.objects.get().title == "new Ada in deals"
    run = get_instance().get_run_by_id(execution.dagster_run_id)
    assert run.job_name == "acme__on_new_deal" and run.tags["tenant"] == "acme"
    assert record_daemon.tick().run_requests == []  # nothing new: nothing more


def test_field_changed_runs_only_when_a_watched_field_changes_as_asked(
    tenant, deals, record_daemon, make_user
):
    workflow = publish(
        tenant,
        "Won deals",
        {"trigger_type": "field_changed", "fields": ["stage"], "to_value": "won"},
        title="won {{ trigger.changed_fields.stage.old }}",
    )
    actor = make_user(tenant, "editor")
    record = record_create(tenant=tenant, pipeline=deals, data={"stage": "lead", "amount": 1})
    record_update(tenant=tenant, record_id=record.pk, data={"amount": 2})  # not watched
    record_update(tenant=tenant, record_id=record.pk, data={"stage": "lost"})  # not to "won"
    assert record_daemon.tick().run_requests == []
    record_update(tenant=tenant, record_id=record.pk, data={"stage": "won"}, actor=actor)
    assert len(record_daemon.tick().run_requests) == 1
    [execution] = executions_of(workflow)
    assert execution.trigger_data["changed_fields"] == {"stage": {"old": "lost", "new": "won"}}
    assert execution.trigger_data["actor"]["username"] == actor.username
    assert Task.objects.get().title == "won lost"


def test_from_value_and_several_fields(tenant, deals, record_daemon):
    publish(
        tenant,
        "Reopened",
        {"trigger_type": "field_changed", "fields": ["stage", "status"], "from_value": "won"},
    )
    record = record_create(tenant=tenant, pipeline=deals, data={"stage": "won"})
    record_update(tenant=tenant, record_id=record.pk, data={"status": "x"})  # from None
    assert record_daemon.tick().run_requests == []
    record_update(tenant=tenant, record_id=record.pk, data={"stage": "open"})
    assert len(record_daemon.tick().run_requests) == 1


def test_pipelines_and_conditions_filter(tenant, deals, record_daemon):
    leads = Pipeline.objects.create(tenant=tenant, slug="leads", name="Leads")
    workflow = publish(
        tenant,
        "Big deals",
        {
            "trigger_type": "record_updated",
            "pipelines": ["deals"],
            "conditions": [
                {"field": "amount", "operator": ">=", "value": 1000},
                {"field": "owner.team", "operator": "==", "value": "emea"},
            ],
        },
    )
    big = record_create(tenant=tenant, pipeline=deals, data={"amount": 1, "owner": {}})
    lead = record_create(tenant=tenant, pipeline=leads, data={"amount": 1})
    record_update(tenant=tenant, record_id=lead.pk, data={"amount": 5000})  # other pipeline
    record_update(tenant=tenant, record_id=big.pk, data={"amount": 500})  # too small
    record_update(tenant=tenant, record_id=big.pk, data={"amount": "lots"})  # incomparable
    assert record_daemon.tick().run_requests == []
    record_update(tenant=tenant, record_id=big.pk, data={"amount": 5000, "owner": {"team": "emea"}})
    assert len(record_daemon.tick().run_requests) == 1
    assert executions_of(workflow)[0].trigger_data["record"]["data"]["amount"] == 5000


def test_record_deleted_carries_the_last_data(tenant, deals, record_daemon):
    workflow = publish(tenant, "Gone", {"trigger_type": "record_deleted"})
    record = record_create(tenant=tenant, pipeline=deals, data={"name": "Bye"})
    record_update(tenant=tenant, record_id=record.pk, data={"name": "Bye!"})
    record_delete(tenant=tenant, record_id=record.pk)
    record_daemon.tick()
    [execution] = executions_of(workflow)
    assert execution.trigger_data["event"] == "record_deleted"
    assert execution.trigger_data["record"]["data"] == {"name": "Bye!"}


def test_other_tenants_events_never_start_a_workflow(
    tenant, deals, other_tenant, other_deals, record_daemon
):
    mine = publish(tenant, "Mine", {"trigger_type": "record_created"})
    theirs = publish(other_tenant, "Theirs", {"trigger_type": "record_created"})
    record_create(tenant=other_tenant, pipeline=other_deals, data={"x": 1})
    [request] = record_daemon.tick().run_requests
    assert request.tags["tenant"] == "globex"
    assert executions_of(mine) == [] and len(executions_of(theirs)) == 1


def test_manual_and_paused_workflows_are_not_started(tenant, deals, record_daemon):
    publish(tenant, "Manual", {"sample_payload": {"a": 1}})
    paused = publish(tenant, "Paused", {"trigger_type": "record_created"})
    paused.status = "paused"
    paused.save()
    record_create(tenant=tenant, pipeline=deals, data={})
    result = record_daemon.tick()
    assert result.run_requests == [] and "1 event(s), 0 matched" in result.skip_reason.skip_message


def test_the_code_location_sensor_targets_the_workflow_jobs_and_its_requests_resolve(
    tenant, deals
):
    import dagster as dg

    from automation.definitions import defs

    publish(tenant, "Located", {"trigger_type": "record_created"})
    publish(tenant, "Hand run", {})
    repository = defs()
    sensor = repository.get_sensor_def("crm_record_triggers")
    assert [target.job_name for target in sensor.targets] == ["acme__located"]
    context = dg.build_sensor_context(instance=get_instance(), repository_def=repository)
    first = sensor.evaluate_tick(context)  # the first tick: from now on
    record_create(tenant=tenant, pipeline=deals, data={"x": 1})
    context = dg.build_sensor_context(
        instance=get_instance(), repository_def=repository, cursor=first.cursor
    )
    # evaluate_tick resolves the requests against the sensor's targets, as the daemon does.
    [request] = sensor.evaluate_tick(context).run_requests
    assert request.job_name == "acme__located"
