"""Re-executing a failed run from failure (as the Dagster UI does) continues the same CRM
execution: upstream nodes are not run again and the history follows to success."""

from __future__ import annotations

import pytest
from dagster import ReexecutionOptions, build_reconstructable_job, execute_job

from automation.instance import get_instance
from automation.launcher import run_now
from crm.workflows.models import Task
from crm.workflows.services import workflow_create, workflow_publish

from .conftest import edge, node
from .test_retries import _Flaky, flaky_server  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def test_reexecute_from_failure_completes_the_same_execution(tenant, flaky_server):  # noqa: F811
    tenant.http_allowed_hosts = ["127.0.0.1"]
    tenant.save()
    definition = {
        "nodes": [
            node("start", "trigger"),
            node("before", "task_notify", {"title": "before", "assign_to_role": "editor"}),
            node("call", "http_request", {"url": flaky_server}),
            node("after", "task_notify", {"title": "after", "assign_to_role": "editor"}),
        ],
        "edges": [edge("start", "before"), edge("before", "call"), edge("call", "after")],
    }
    workflow = workflow_create(tenant=tenant, name="Flaky", definition=definition, retry_count=0)
    version = workflow_publish(workflow=workflow)

    execution = run_now(workflow=workflow, wait=True)
    assert execution.status == "failed"
    assert "call" in execution.error_message
    first_run = execution.dagster_run_id
    statuses = dict(execution.logs.values_list("node_id", "status"))
    assert statuses == {
        "start": "success",
        "before": "success",
        "call": "failed",
        "after": "skipped",
    }

    instance = get_instance()
    recon = build_reconstructable_job(
        "automation.workflow_jobs", "job_for_version_id", reconstructable_args=(version.id,)
    )
    with execute_job(
        recon, instance, reexecution_options=ReexecutionOptions.from_failure(first_run, instance)
    ) as result:
        assert result.success
        second_run = result.run_id
    from automation.sensors.executions import finish_execution_for_run

    finish_execution_for_run(instance.get_run_by_id(second_run), "success")  # what the sensor does

    execution.refresh_from_db()
    assert execution.status == "success"
    assert execution.dagster_run_id == second_run
    logs = list(
        execution.logs.order_by("node_id", "attempt").values_list("node_id", "attempt", "status")
    )
    assert logs == [
        ("after", 1, "success"),
        ("before", 1, "success"),
        ("call", 1, "failed"),
        ("call", 2, "success"),
        ("start", 1, "success"),
    ]
    assert sorted(Task.objects.values_list("title", flat=True)) == ["after", "before"]
    assert _Flaky.calls == 2
