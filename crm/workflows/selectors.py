"""Reads of workflows, published versions and execution logs."""

from __future__ import annotations

from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import F, OuterRef, Subquery

from crm.tenants.models import Tenant

from .models import (
    Workflow,
    WorkflowExecution,
    WorkflowExecutionLog,
    WorkflowStatus,
    WorkflowVersion,
)


def workflow_versions_to_serve() -> list[WorkflowVersion]:
    """The latest version of every active workflow, with workflow and tenant loaded."""
    latest = (
        WorkflowVersion.objects.filter(workflow=OuterRef("workflow"))
        .order_by("-number")
        .values("number")[:1]
    )
    return list(
        WorkflowVersion.objects.filter(
            workflow__status=WorkflowStatus.ACTIVE, number=Subquery(latest)
        )
        .select_related("workflow", "workflow__tenant")
        .order_by("workflow__tenant__slug", "workflow__name")
    )


def workflow_get(*, tenant: Tenant, workflow_id: UUID | str) -> Workflow:
    """The tenant's workflow with this id (raises Workflow.DoesNotExist otherwise)."""
    try:
        return Workflow.objects.select_related("tenant").get(tenant=tenant, pk=workflow_id)
    except ValidationError:  # not a UUID
        raise Workflow.DoesNotExist(f"Workflow {workflow_id} does not exist.") from None


def execution_get(*, execution_id: UUID | str) -> WorkflowExecution:
    """The execution with this id (raises WorkflowExecution.DoesNotExist otherwise)."""
    try:
        return WorkflowExecution.objects.select_related("tenant", "workflow", "version").get(
            pk=execution_id
        )
    except ValidationError:
        raise WorkflowExecution.DoesNotExist(f"Execution {execution_id} does not exist.") from None


def execution_logs(*, execution_id: UUID | str) -> list[WorkflowExecutionLog]:
    """The execution's node logs in the order they ran; skipped nodes last."""
    return list(
        WorkflowExecutionLog.objects.filter(execution_id=execution_id).order_by(
            F("started_at").asc(nulls_last=True), "item_index", "attempt", "node_id"
        )
    )


def execution_find_by_run_id(*, dagster_run_id: str) -> WorkflowExecution | None:
    """The execution whose current Dagster run is `dagster_run_id`, if any."""
    if not dagster_run_id:
        return None
    return (
        WorkflowExecution.objects.select_related("tenant", "workflow", "version")
        .filter(dagster_run_id=dagster_run_id)
        .first()
    )
