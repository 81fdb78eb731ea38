"""Exactly once: run keys come from event ids and batches are written before runs are asked for,
so a tick replayed after a crash (cursor not committed) starts nothing twice and loses nothing;
bounded ticks; outbox gaps; batches of events as items when the jobs take them; rate limits
defer events (visible) and deliver them later; jobs not loaded yet hold their events."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg
import pytest

from automation.sensors import trigger_dispatch
from automation.sensors.trigger_dispatch import Cursor
from automation.workflow_jobs import job_for_version_id
from crm.records.services import record_create
from crm.triggers.models import TriggerBatch, TriggerDelivery

from .conftest import executions_of, publish

pytestmark = pytest.mark.django_db(transaction=True)


PER_EVENT = {"trigger_type": "record_created", "batch": {"mode": "per_event"}}


def _records(tenant, deals, count: int) -> None:
    for number in range(count):
        record_create(tenant=tenant, pipeline=deals, data={"n": number})


def test_crash_after_runs_started_before_cursor_saved_repeats_nothing(tenant, deals, record_daemon):
    workflow = publish(tenant, "Once", PER_EVENT)
    _records(tenant, deals, 3)
    first = record_daemon.evaluate()
    record_daemon.launch(first)  # the runs started ... and the daemon died: no cursor saved
    assert len(executions_of(workflow)) == 3
    again = record_daemon.evaluate()  # same cursor as before the crash
    assert sorted(r.run_key for r in again.run_requests) == sorted(
        r.run_key for r in first.run_requests
    )
    assert record_daemon.launch(again) == []  # the daemon's run-key dedup
    record_daemon.cursor = again.cursor
    assert record_daemon.tick().run_requests == []
    assert len(executions_of(workflow)) == 3
    assert TriggerDelivery.objects.filter(workflow=workflow).count() == 3


def test_crash_before_runs_started_loses_nothing(tenant, deals, record_daemon):
    workflow = publish(tenant, "Not lost", PER_EVENT)
    _records(tenant, deals, 2)
    lost_tick = record_daemon.evaluate()  # evaluated, then the daemon died before launching
    assert len(lost_tick.run_requests) == 2
    _records(tenant, deals, 1)
    record_daemon.tick()
    assert len(executions_of(workflow)) == 3
    assert TriggerBatch.objects.filter(workflow=workflow).count() == 3


def test_work_per_tick_is_bounded_and_the_cursor_moves_on(
    tenant, deals, record_daemon, monkeypatch
):
    from automation.sensors import record_events

    monkeypatch.setattr(record_events, "MAX_EVENTS_PER_TICK", 2)
    monkeypatch.setattr(trigger_dispatch, "MAX_RUNS_PER_TICK", 2)
    workflow = publish(tenant, "Bounded", PER_EVENT)
    _records(tenant, deals, 5)
    counts = [len(record_daemon.tick().run_requests) for _ in range(4)]
    assert counts == [2, 2, 1, 0]
    assert len(executions_of(workflow)) == 5


def test_gaps_below_the_cursor_are_read_when_their_events_commit():
    cursor = Cursor(after=10).advanced([11, 13, 14], now=1000.0)
    assert cursor.after == 14 and set(cursor.gaps) == {"12"}
    assert cursor.advanced([12, 15], now=1001.0).gaps == {}
    assert cursor.advanced([], now=1000.0 + trigger_dispatch.GAP_TTL_S).gaps == {}


def test_batches_are_delivered_as_items_when_jobs_take_them(
    tenant, deals, record_daemon, monkeypatch
):
    batched = publish(
        tenant, "Batched", {"trigger_type": "record_created", "batch": {"max_events": 3}}
    )
    single = publish(
        tenant, "Single", {"trigger_type": "record_created", "batch": {"mode": "per_event"}}
    )
    _records(tenant, deals, 5)
    result = record_daemon.evaluate()
    by_workflow: dict[str, list] = {}
    for request in result.run_requests:
        by_workflow.setdefault(request.tags["workflow_id"], []).append(request)
    sizes = [
        len(r.run_config["ops"]["start"]["config"].get("items", [None]))
        for r in by_workflow[str(batched.pk)]
    ]
    assert sizes == [3, 2]
    items = by_workflow[str(batched.pk)][0].run_config["ops"]["start"]["config"]["items"]
    assert [item["record"]["data"]["n"] for item in items] == [0, 1, 2]
    assert len(by_workflow[str(single.pk)]) == 5
    assert all(
        "payload" in r.run_config["ops"]["start"]["config"] for r in by_workflow[str(single.pk)]
    )
    assert {r.tags["tenant"] for r in result.run_requests} == {"acme"}


def test_without_item_support_every_event_gets_its_own_run(tenant, deals, record_daemon):
    assert trigger_dispatch.items_supported() in (True, False)
    publish(tenant, "Big batches", {"trigger_type": "record_created", "batch": {"max_events": 50}})
    _records(tenant, deals, 3)
    result = record_daemon.evaluate()
    expected = 1 if trigger_dispatch.items_supported() else 3
    assert len(result.run_requests) == expected


def test_a_batch_may_wait_for_more_events(tenant, deals, record_daemon, monkeypatch):
    workflow = publish(
        tenant,
        "Patient",
        {"trigger_type": "record_created", "batch": {"max_events": 10, "max_wait_s": 60}},
    )
    _records(tenant, deals, 2)
    result = record_daemon.evaluate()
    assert result.run_requests == [] and "batching" in result.skip_reason.skip_message
    record_daemon.cursor = result.cursor
    TriggerDelivery.objects.filter(workflow=workflow).update(
        created_at=TriggerDelivery.objects.first().created_at - timedelta(seconds=61)
    )
    [request] = record_daemon.evaluate().run_requests
    assert len(request.run_config["ops"]["start"]["config"]["items"]) == 2


def test_events_gather_while_a_run_of_the_workflow_waits_to_start(tenant, deals, record_daemon):
    from automation.instance import get_instance
    from automation.launcher import _remote_job_origin

    workflow = publish(tenant, "Backlogged", {"trigger_type": "record_created"})
    _records(tenant, deals, 2)
    tick = record_daemon.evaluate()
    [first] = tick.run_requests
    # The daemon submitted that run, which waits for a slot (the tenant is at its limit).
    instance = get_instance()
    queued = instance.create_run_for_job(
        job_for_version_id(workflow.current_version.pk),
        run_config=first.run_config,
        tags={**first.tags, "dagster/run_key": first.run_key},
        status=dg.DagsterRunStatus.QUEUED,
        remote_job_origin=_remote_job_origin(first.job_name),
    )
    record_daemon.cursor = tick.cursor
    _records(tenant, deals, 3)
    held = record_daemon.tick()
    assert held.run_requests == []
    assert "a run of this workflow is waiting to start" in held.skip_reason.skip_message
    _records(tenant, deals, 2)
    assert record_daemon.tick().run_requests == []
    instance.delete_run(queued.run_id)  # (it started and ended)
    [request] = record_daemon.tick().run_requests  # one fuller batch, not one run per tick
    assert len(request.run_config["ops"]["start"]["config"]["items"]) == 5
    assert TriggerDelivery.objects.filter(workflow=workflow, status="pending").count() == 0


def test_rate_limit_defers_events_and_delivers_them_later(tenant, deals, record_daemon):
    workflow = publish(tenant, "Limited", PER_EVENT, max_executions_per_hour=2)
    _records(tenant, deals, 5)
    result = record_daemon.tick()
    assert len(result.run_requests) == 2
    deferred = TriggerDelivery.objects.filter(workflow=workflow, status="deferred")
    assert deferred.count() == 3
    assert all(d.reason == "rate limit: max_executions_per_hour (2) reached" for d in deferred)
    assert all(d.available_at is not None for d in deferred)
    assert record_daemon.tick().run_requests == []  # still no room
    # An hour later the window has room again: the deferred events run, oldest first.
    TriggerBatch.objects.filter(workflow=workflow).update(
        created_at=TriggerBatch.objects.first().created_at - timedelta(minutes=61)
    )
    deferred.update(available_at=TriggerBatch.objects.first().created_at)
    assert len(record_daemon.tick().run_requests) == 2
    assert TriggerDelivery.objects.filter(workflow=workflow, status="deferred").count() == 1
    assert len(executions_of(workflow)) == 4


def test_events_wait_until_the_code_location_has_the_job(tenant, deals, record_daemon):
    workflow = publish(tenant, "Fresh", {"trigger_type": "record_created"})
    _records(tenant, deals, 1)
    empty = dg.Definitions(jobs=[]).get_repository_def()
    held = record_daemon.evaluate(repository_def=empty)
    assert held.run_requests == []
    assert "waiting for the code location to load job acme__fresh" in (
        held.skip_reason.skip_message
    )
    record_daemon.cursor = held.cursor  # the event was read; its delivery waits
    loaded = dg.Definitions(
        jobs=[job_for_version_id(workflow.current_version.pk)]
    ).get_repository_def()
    [request] = record_daemon.tick(repository_def=loaded).run_requests
    assert request.job_name == "acme__fresh"
    assert len(executions_of(workflow)) == 1


def test_a_batch_for_a_job_the_sensor_does_not_target_waits_for_the_reload(
    tenant, deals, record_daemon
):
    # A tick planned a batch and died before its cursor was saved; meanwhile the code location
    # reloaded without the job among the sensor's targets (the daemon would refuse the run).
    workflow = publish(tenant, "Retargeted", PER_EVENT)
    _records(tenant, deals, 1)
    [planned] = record_daemon.evaluate().run_requests
    held = record_daemon.evaluate(allowed=frozenset())
    assert held.run_requests == []
    assert "1 run(s) waiting for the code location to reload" in held.skip_reason.skip_message
    record_daemon.cursor = held.cursor  # committed: the batch is still asked for later
    assert record_daemon.tick(allowed=frozenset()).run_requests == []
    [request] = record_daemon.tick(allowed=frozenset({planned.job_name})).run_requests
    assert request.run_key == planned.run_key
    assert len(executions_of(workflow)) == 1
    assert record_daemon.tick().run_requests == []


def test_a_sensor_that_never_ran_starts_after_the_existing_events(tenant, deals):
    from automation.sensors.record_events import RECORD_SOURCE, SENSOR_NAME

    from .conftest import Daemon

    workflow = publish(tenant, "Fresh start", {"trigger_type": "record_created"})
    _records(tenant, deals, 2)  # history, from before the sensor existed
    daemon = Daemon(RECORD_SOURCE, SENSOR_NAME)
    first = daemon.tick()
    assert first.run_requests == [] and "watching record events" in first.skip_reason.skip_message
    _records(tenant, deals, 1)
    assert len(daemon.tick().run_requests) == 1
    assert len(executions_of(workflow)) == 1


def test_a_batch_runs_once_with_every_event_as_an_item(tenant, deals, record_daemon):
    from crm.workflows.models import Task

    if not trigger_dispatch.items_supported():
        pytest.skip("the jobs do not take items yet")
    workflow = publish(
        tenant, "Batch", {"trigger_type": "record_created"}, title="n={{ trigger.record.data.n }}"
    )
    _records(tenant, deals, 3)
    [request] = record_daemon.tick().run_requests
    assert request.tags["crm/trigger_events"] == "3" and request.tags["tenant"] == "acme"
    [execution] = executions_of(workflow)
    assert execution.status == "success"
    assert sorted(Task.objects.values_list("title", flat=True)) == ["n=0", "n=1", "n=2"]
    assert [i["record"]["data"]["n"] for i in execution.trigger_data["items"]] == [0, 1, 2]
