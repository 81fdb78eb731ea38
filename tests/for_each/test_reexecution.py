"""A chunk that failed is re-executed from failure (as the Dagster UI does) without redoing
the chunks that succeeded and without writing any record twice: record writes inside a body
are idempotent per (execution, node, item)."""

from __future__ import annotations

import pytest
from dagster import ReexecutionOptions, build_reconstructable_job, execute_job

from automation.instance import get_instance
from automation.launcher import run_now
from automation.sensors.executions import finish_execution_for_run
from crm.records.models import Pipeline, Record, RecordWriteKey
from crm.workflows.services import workflow_create, workflow_publish

from .conftest import edge, loop, node

pytestmark = pytest.mark.django_db(transaction=True)


def test_reexecuting_a_failed_chunk_writes_each_record_once(tenant, deals) -> None:
    definition = {
        "nodes": [
            node("start", "trigger", {"sample_payload": {"items": [
                {"n": 0, "to": "deals"}, {"n": 1, "to": "later"},
                {"n": 2, "to": "deals"}, {"n": 3, "to": "deals"},
            ]}}),
            loop(batch_size=2, on_item_error="fail"),
            node("make", "record_create", {"pipeline": "{{ item.to }}",
                                           "data": {"n": "{{ item.n }}"}}, parent="each"),
        ],
        "edges": [edge("start", "each"), edge("each", "make", "item")],
    }
    workflow = workflow_create(tenant=tenant, name="Make", definition=definition)
    version = workflow_publish(workflow=workflow)

    execution = run_now(workflow=workflow, wait=True)
    assert execution.status == "failed"
    first_run = execution.dagster_run_id
    # Chunk 0 wrote item 0 then failed on item 1 (no pipeline "later"); chunk 1 succeeded.
    assert sorted(Record.objects.values_list("data__n", flat=True)) == [0, 2, 3]

    Pipeline.objects.create(tenant=tenant, slug="later", name="Later")
    instance = get_instance()
    recon = build_reconstructable_job(
        "automation.workflow_jobs", "job_for_version_id", reconstructable_args=(version.id,)
    )
    options = ReexecutionOptions.from_failure(first_run, instance)
    with execute_job(recon, instance, reexecution_options=options) as result:
        assert result.success
        ran = {e.step_key for e in result.all_events if e.event_type_value == "STEP_SUCCESS"}
        second_run = result.run_id
    assert ran == {"make[chunk_0]", "each__collect"}
    finish_execution_for_run(instance.get_run_by_id(second_run), "success")

    execution.refresh_from_db()
    assert execution.status == "success"
    assert sorted(Record.objects.values_list("data__n", flat=True)) == [0, 1, 2, 3]
    assert RecordWriteKey.objects.count() == 4
    attempts = dict(
        execution.logs.filter(node_id="make", status="success")
        .values_list("item_index", "attempt")
    )
    assert attempts == {0: 2, 1: 2, 2: 1, 3: 1}  # item 0 ran again: its stored result came back
    loop_log = execution.logs.get(node_id="each")
    assert (loop_log.status, loop_log.output_data["succeeded"]) == ("success", 4)
