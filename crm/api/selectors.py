"""Tenant-scoped reads the API needs beyond crm.workflows / crm.records selectors."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.db.models import Max, Q, QuerySet

from crm.records.filters import check_field_name, filter_q
from crm.records.models import Record
from crm.records.selectors import COLUMN_SORTS, pipeline_get
from crm.tenants.models import Tenant
from crm.workflows.models import Workflow, WorkflowExecution, WorkflowStatus, WorkflowVersion


def workflow_list(*, tenant: Tenant, status: str | None = None, q: str = "") -> QuerySet:
    """The tenant's workflows, newest first, with `latest_version`; archived ones only on ask."""
    queryset = Workflow.objects.filter(tenant=tenant).annotate(
        latest_version=Max("versions__number")
    )
    if status:
        queryset = queryset.filter(status=status)
    else:
        queryset = queryset.exclude(status=WorkflowStatus.ARCHIVED)
    if q:
        queryset = queryset.filter(Q(name__icontains=q) | Q(description__icontains=q))
    return queryset.order_by("-updated_at", "name")


def version_get(*, workflow: Workflow, number: int) -> WorkflowVersion:
    """The workflow's version with this number (WorkflowVersion.DoesNotExist otherwise)."""
    try:
        return workflow.versions.select_related("published_by").get(number=number)
    except WorkflowVersion.DoesNotExist:
        raise WorkflowVersion.DoesNotExist(
            f"Workflow {workflow.pk} has no version {number}."
        ) from None


def execution_list(
    *,
    tenant: Tenant,
    workflow_id: UUID | None = None,
    status: str | None = None,
    source: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet:
    """The tenant's executions matching the filters, newest first."""
    queryset = WorkflowExecution.objects.filter(tenant=tenant).select_related("workflow", "version")
    if workflow_id is not None:
        queryset = queryset.filter(workflow_id=workflow_id)
    if status:
        queryset = queryset.filter(status=status)
    if source:
        queryset = queryset.filter(source=source)
    if since is not None:
        queryset = queryset.filter(started_at__gte=since)
    if until is not None:
        queryset = queryset.filter(started_at__lt=until)
    return queryset.order_by("-started_at", "-pk")


def execution_of(*, tenant: Tenant, execution_id: UUID) -> WorkflowExecution:
    """The tenant's execution (WorkflowExecution.DoesNotExist for others' or missing ids)."""
    try:
        return WorkflowExecution.objects.select_related("workflow", "version").get(
            tenant=tenant, pk=execution_id
        )
    except WorkflowExecution.DoesNotExist:
        raise WorkflowExecution.DoesNotExist(f"Execution {execution_id} does not exist.") from None


def parse_sort(sort: str | None) -> list[str]:
    """`field` or `-field` (a column or a data field) as an ORM ordering, id as tie-break."""
    if not sort:
        return ["id"]
    sign = "-" if sort.startswith("-") else ""
    name = sort.lstrip("-+")
    column = name if name in COLUMN_SORTS else f"data__{check_field_name(name)}"
    return [f"{sign}{column}", f"{sign}id"]


def record_page(
    *,
    tenant: Tenant,
    pipeline: str,
    filters: list[dict[str, Any]],
    sort: str | None,
    limit: int,
    offset: int,
) -> tuple[int, list[Record]]:
    """(total count, one page) of a pipeline's records matching every filter."""
    found = pipeline_get(tenant=tenant, slug=pipeline)
    queryset = Record.objects.filter(tenant=tenant, pipeline=found).select_related("pipeline")
    for item in filters:
        queryset = queryset.filter(filter_q(item["field"], item["operator"], item.get("value")))
    queryset = queryset.order_by(*parse_sort(sort))
    return queryset.count(), list(queryset[offset : offset + limit])
