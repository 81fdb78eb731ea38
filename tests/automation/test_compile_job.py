"""The compiled job has the drawing's shape; branches skip, merges run once, runs are recorded."""

from __future__ import annotations

import pytest
from dagster import DagsterInstance, RetryPolicy

from automation.graph_factory.compile import compile_job
from automation.graph_factory.target import JobTarget
from automation.nodes.base import TenantRef
from automation.run_local import run_graph_in_process
from crm.records.models import Record
from crm.workflows.models import Task, WorkflowExecution

from .conftest import edge, graph_of, node

pytestmark = pytest.mark.django_db(transaction=True)

BRANCHING = {
    "nodes": [
        node("start", "trigger", {"sample_payload": {"go": True}}, "Start here"),
        node(
            "check",
            "condition",
            {"rules": [{"left": "{{ trigger.go }}", "operator": "==", "right": True}]},
            "Go?",
        ),
        node("yes", "task_notify", {"title": "went yes", "assign_to_role": "editor"}, "Yes"),
        node("no", "task_notify", {"title": "went no", "assign_to_role": "editor"}, "No"),
        node(
            "merge",
            "task_notify",
            {"title": "merged after {{ nodes.check.result }}", "assign_to_role": "editor"},
            "Merge",
        ),
    ],
    "edges": [
        edge("start", "check"),
        edge("check", "yes", "true"),
        edge("check", "no", "false"),
        edge("yes", "merge"),
        edge("no", "merge"),
    ],
}


def _target(tenant, retry_count: int = 0) -> JobTarget:
    return JobTarget(
        job_name="acme__branching",
        tenant=TenantRef(id=tenant.id, slug=tenant.slug),
        workflow_name="Branching",
        workflow_id="wf-1",
        version_id=7,
        version_number=3,
        retry_count=retry_count,
        timeout_minutes=5,
    )


def test_job_has_one_op_per_node_with_labels_tags_and_edges(tenant):
    job = compile_job(graph_of(BRANCHING), _target(tenant, retry_count=2))
    ops = {n.name: n.definition for n in job.graph.nodes}
    assert set(ops) == {"start", "check", "yes", "no", "merge"}
    assert ops["start"].description == "Start here"
    assert ops["merge"].description == "Merge"
    assert set(ops["check"].output_dict) == {"true", "false"}
    assert job.tags["tenant"] == "acme"
    assert job.tags["workflow_id"] == "wf-1"
    assert job.tags["workflow_version"] == "3"
    assert job.tags["dagster/max_runtime"] == "300"
    policy = ops["yes"].retry_policy
    assert isinstance(policy, RetryPolicy) and policy.max_retries == 2
    deps = job.graph.dependency_structure
    merge_sources = {
        (output.node_name, output.output_name)
        for output in deps.all_upstream_outputs_from_node("merge")
    }
    assert merge_sources == {("yes", "out"), ("no", "out")}


@pytest.mark.parametrize(("go", "taken", "skipped"), [(True, "yes", "no"), (False, "no", "yes")])
def test_branch_not_taken_is_skipped_and_merge_runs_once(tenant, go, taken, skipped):
    result = run_graph_in_process(
        graph_of(BRANCHING), tenant_slug="acme", workflow_name="branching", payload={"go": go}
    )
    assert result["status"] == "success"
    nodes = result["nodes"]
    assert nodes["check"]["handle"] == ("true" if go else "false")
    assert nodes[taken]["status"] == "success"
    assert nodes[skipped]["status"] == "skipped"
    assert nodes["merge"]["status"] == "success"
    titles = sorted(Task.objects.filter(tenant=tenant).values_list("title", flat=True))
    assert titles == sorted([f"went {taken}", f"merged after {go}"])
    execution = WorkflowExecution.objects.get(pk=result["execution_id"])
    assert execution.logs.filter(node_id="merge").count() == 1


def test_run_records_outputs_and_uses_the_tenant_records(tenant, deals, other_tenant, other_deals):
    Record.objects.create(tenant=tenant, pipeline=deals, data={"name": "A", "amount": 10})
    Record.objects.create(tenant=tenant, pipeline=deals, data={"name": "B", "amount": 90})
    Record.objects.create(
        tenant=other_tenant, pipeline=other_deals, data={"name": "X", "amount": 99}
    )
    definition = {
        "nodes": [
            node("t", "trigger", {"sample_payload": {"min": 50}}),
            node(
                "find",
                "record_find",
                {
                    "pipeline": "deals",
                    "filters": [
                        {"field": "amount", "operator": ">=", "value": "{{ trigger.min }}"}
                    ],
                },
            ),
            node(
                "make",
                "record_create",
                {
                    "pipeline": "deals",
                    "data": {
                        "name": "copy of {{ nodes.find.records[0].data.name }}",
                        "amount": "{{ nodes.find.records[0].data.amount }}",
                    },
                },
            ),
        ],
        "edges": [edge("t", "find"), edge("find", "make")],
    }
    result = run_graph_in_process(graph_of(definition), tenant_slug="acme", workflow_name="copy")
    assert result["status"] == "success", result
    assert result["nodes"]["find"]["output"]["count"] == 1
    created = Record.objects.get(pk=result["nodes"]["make"]["output"]["record"]["id"])
    assert created.tenant_id == tenant.id
    assert created.data == {"name": "copy of B", "amount": 90}


def test_missing_key_in_expression_fails_the_node_with_a_clear_error(tenant):
    definition = {
        "nodes": [
            node("t", "trigger"),
            node("n", "task_notify", {"title": "{{ trigger.nope }}", "assign_to_role": "editor"}),
        ],
        "edges": [edge("t", "n")],
    }
    result = run_graph_in_process(graph_of(definition), tenant_slug="acme", workflow_name="bad")
    assert result["status"] == "failed"
    error = result["nodes"]["n"]["error"]
    assert error["error_type"] == "expression_error"
    assert "nope" in error["message"]
    assert not Task.objects.exists()


def test_non_transient_node_error_is_not_retried(tenant, deals):
    definition = {
        "nodes": [
            node("t", "trigger"),
            node(
                "upd", "record_update", {"pipeline": "deals", "record_id": 999999, "data": {"a": 1}}
            ),
        ],
        "edges": [edge("t", "upd")],
    }
    graph = graph_of(definition)
    job = compile_job(graph, _target(tenant, retry_count=3))
    from automation.resources import default_resources
    from crm.workflows.services import execution_create

    execution = execution_create(tenant=tenant, source="test", trigger_data={})
    with DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(
            instance=instance,
            resources=default_resources(),
            tags={"crm/execution_id": str(execution.id)},
            raise_on_error=False,
        )
    assert not result.success
    logs = list(execution.logs.filter(node_id="upd"))
    assert [log.attempt for log in logs] == [1]
    assert logs[0].status == "failed"
    assert "999999" in logs[0].error_details["message"]
