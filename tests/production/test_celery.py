"""Production execution: a workflow runs on the Celery executor (Redis broker, PostgreSQL
Dagster instance) across two real worker processes, and both workers take steps."""

from __future__ import annotations

import pytest
from dagster import DagsterEventType

from automation import workflow_jobs
from automation.instance import get_instance
from automation.launcher import execute_version
from crm.workflows.models import Task, WorkflowExecution
from crm.workflows.services import execution_create, workflow_create, workflow_publish
from tests.automation.conftest import edge, node

pytestmark = pytest.mark.django_db(transaction=True)
BRANCHES = 6


def fan_out_definition() -> dict:
    nodes = [node("start", "trigger", {"sample_payload": {"who": "celery"}})]
    edges = []
    for index in range(BRANCHES):
        nodes.append(node(f"nap_{index}", "wait_delay", {"seconds": 1}))
        edges.append(edge("start", f"nap_{index}"))
        edges.append(edge(f"nap_{index}", "merge"))
    nodes.append(
        node("merge", "task_notify", {"title": "all {{ trigger.who }}", "assign_to_role": "editor"})
    )
    return {"nodes": nodes, "edges": edges}


def test_a_workflow_runs_on_two_celery_workers(tenant, postgres_dagster_home, celery_workers):
    celery_workers.start("w1")
    celery_workers.start("w2")
    workflow = workflow_create(tenant=tenant, name="Fan out", definition=fan_out_definition())
    version = workflow_publish(workflow=workflow)
    workflow_jobs.job_for_version_id.cache_clear()
    assert workflow_jobs.job_for_version_id(version.id).executor_def.name == "celery"

    execution = execution_create(tenant=tenant, version=version, source="test", trigger_data={})
    run_id = execute_version(
        execution_id=str(execution.id),
        version_id=version.id,
        payload={"who": "celery"},
        source="test",
    )
    execution.refresh_from_db()
    assert execution.status == "success", execution.error_message
    assert Task.objects.get().title == "all celery"
    statuses = set(execution.logs.values_list("status", flat=True))
    assert statuses == {"success"}

    starts = get_instance().all_logs(run_id, of_type=DagsterEventType.STEP_START)
    worker_pids = {entry.dagster_event.pid for entry in starts}
    assert len(starts) == BRANCHES + 2
    assert len(worker_pids) >= 2, "both workers should have taken steps"
    assert WorkflowExecution.objects.filter(status="running").count() == 0
