"""Run now: an execution of a published version runs at once on the real Dagster instance,
is recorded in the CRM, and its run is listed under the workspace job in Dagster."""

from __future__ import annotations

import pytest

from automation.instance import get_instance
from automation.launcher import run_now
from crm.workflows.models import Task
from crm.workflows.services import workflow_create, workflow_publish

from .conftest import edge, node

pytestmark = pytest.mark.django_db(transaction=True)


def definition(title: str) -> dict:
    return {
        "nodes": [
            node("start", "trigger", {"sample_payload": {"who": "sample"}}),
            node("note", "task_notify", {"title": title, "assign_to_role": "editor"}),
        ],
        "edges": [edge("start", "note")],
    }


@pytest.fixture
def workflow(tenant, editor):
    wf = workflow_create(
        tenant=tenant, name="Greeter", definition=definition("hi {{ trigger.who }}")
    )
    workflow_publish(workflow=wf, user=editor)
    return wf


def test_run_now_waits_for_the_result_and_records_it(workflow, editor):
    execution = run_now(workflow=workflow, payload={"who": "Ada"}, user=editor, wait=True)
    assert execution.status == "success"
    assert execution.triggered_by == editor
    assert execution.completed_at is not None
    assert Task.objects.get().title == "hi Ada"
    run = get_instance().get_run_by_id(execution.dagster_run_id)
    assert run.job_name == "acme__greeter"
    assert run.tags["tenant"] == "acme"
    assert run.tags["workflow_version"] == "1"
    assert run.tags["crm/execution_id"] == str(execution.id)
    origin = run.remote_job_origin
    assert origin.location_name == "automation" and origin.job_name == "acme__greeter"


def test_run_now_uses_the_sample_payload_when_none_is_given(workflow):
    execution = run_now(workflow=workflow, wait=True)
    assert execution.status == "success"
    assert execution.trigger_data == {"who": "sample"}
    assert Task.objects.get().title == "hi sample"


def test_a_new_version_runs_as_soon_as_it_is_published(workflow, editor):
    workflow_publish(workflow=workflow, user=editor, definition=definition("v2 {{ trigger.who }}"))
    execution = run_now(workflow=workflow, payload={"who": "Bo"}, wait=True)
    assert execution.version.number == 2
    assert Task.objects.get().title == "v2 Bo"


def test_an_unpublished_workflow_cannot_run(tenant):
    draft = workflow_create(tenant=tenant, name="Draft only", definition=definition("x"))
    with pytest.raises(ValueError, match="no published version"):
        run_now(workflow=draft)


def test_run_now_returns_before_the_run_ends(workflow):
    execution = run_now(workflow=workflow, payload={"who": "Cy"})
    assert execution.status in {"pending", "running", "success"}
    from automation.launcher import _run_pool

    _run_pool().submit(lambda: None).result(timeout=60)  # the pool is FIFO per worker
    for _ in range(100):
        execution.refresh_from_db()
        if execution.status == "success":
            break
        import time

        time.sleep(0.1)
    assert execution.status == "success"
