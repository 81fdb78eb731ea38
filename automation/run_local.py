"""Run a validated graph in process on an ephemeral Dagster instance, recorded in the CRM."""

from __future__ import annotations

from typing import Any

from dagster import DagsterInstance

from automation.graph_factory.compile import compile_job, trigger_run_config
from automation.graph_factory.graph import WorkflowGraph
from automation.graph_factory.naming import dagster_name
from automation.graph_factory.node_op import EXECUTION_TAG, SOURCE_TAG
from automation.graph_factory.target import JobTarget
from automation.nodes.base import TenantRef
from crm.django_setup import setup_django


class UnknownTenant(ValueError):
    """The tenant slug names no tenant."""


def execution_summary(execution_id: str) -> dict[str, Any]:
    """The execution as JSON: status, error, and per node status, output, error."""
    from crm.workflows.models import WorkflowExecution

    execution = WorkflowExecution.objects.get(pk=execution_id)
    nodes: dict[str, Any] = {}
    for log in execution.logs.order_by("started_at", "attempt"):
        nodes[log.node_id] = {
            "type": log.node_type,
            "label": log.node_name,
            "status": log.status,
            "attempt": log.attempt,
            "handle": log.output_handle or None,
            "output": log.output_data,
            "error": log.error_details,
            "duration_ms": log.duration_ms,
        }
    return {
        "execution_id": str(execution.id),
        "status": execution.status,
        "dagster_run_id": execution.dagster_run_id,
        "error": execution.error_message or None,
        "nodes": nodes,
    }


def run_graph_in_process(
    graph: WorkflowGraph,
    *,
    tenant_slug: str,
    workflow_name: str,
    payload: Any = None,
    instance: DagsterInstance | None = None,
) -> dict[str, Any]:
    """Compile and execute `graph` for a tenant; returns the execution summary."""
    setup_django()
    from automation.resources import default_resources
    from crm.tenants.models import Tenant
    from crm.workflows.services import execution_create, execution_finish

    tenant = Tenant.objects.filter(slug=tenant_slug).first()
    if tenant is None:
        raise UnknownTenant(f"unknown tenant {tenant_slug!r}")
    target = JobTarget(
        job_name=f"cli__{dagster_name(workflow_name, fallback='workflow')}",
        tenant=TenantRef(id=tenant.id, slug=tenant.slug),
        workflow_name=workflow_name,
    )
    job = compile_job(graph, target)
    trigger_node = graph.nodes[graph.trigger_id]
    if payload is None:
        payload = trigger_node.raw_config.get("sample_payload", {})
    execution = execution_create(
        tenant=tenant, source="cli", trigger_data=payload, workflow=None, version=None
    )
    with DagsterInstance.ephemeral() if instance is None else _borrowed(instance) as dagster:
        result = job.execute_in_process(
            run_config=trigger_run_config(graph, payload),
            instance=dagster,
            resources=default_resources(),
            tags={EXECUTION_TAG: str(execution.id), SOURCE_TAG: "cli"},
            raise_on_error=False,
        )
    node_ids = {node.id: (node.node_type.name, node.label) for node in graph.nodes.values()}
    execution_finish(
        execution_id=str(execution.id),
        status="success" if result.success else "failed",
        error_message="" if result.success else _first_failure(result),
        node_ids=node_ids,
    )
    return execution_summary(str(execution.id))


def _first_failure(result) -> str:
    for event in result.all_events:
        if event.is_step_failure:
            data = event.step_failure_data
            if data and data.error:
                return data.error.message.strip()
    return "the run failed"


class _borrowed:
    """Use a caller's instance as a context manager without disposing it."""

    def __init__(self, instance: DagsterInstance):
        self.instance = instance

    def __enter__(self) -> DagsterInstance:
        return self.instance

    def __exit__(self, *exc: object) -> None:
        return None
