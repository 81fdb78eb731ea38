"""Reads of pipelines and records, always scoped to one tenant."""

from __future__ import annotations

from typing import Any, Literal

from crm.tenants.models import Tenant

from .errors import PipelineNotFound, RecordNotFound
from .filters import check_field_name, filter_q
from .models import Pipeline, Record

COLUMN_SORTS = frozenset({"id", "created_at", "updated_at"})


def pipeline_get(*, tenant: Tenant, slug: str) -> Pipeline:
    """The tenant's pipeline with this slug, or PipelineNotFound."""
    try:
        return Pipeline.objects.get(tenant=tenant, slug=slug)
    except Pipeline.DoesNotExist:
        raise PipelineNotFound(slug) from None


def record_get(*, tenant: Tenant, record_id: int) -> Record:
    """The tenant's record with this id, or RecordNotFound (also for other tenants' ids)."""
    try:
        return Record.objects.select_related("pipeline").get(tenant=tenant, pk=record_id)
    except (Record.DoesNotExist, ValueError, TypeError):
        raise RecordNotFound(record_id) from None


def record_find(
    *,
    tenant: Tenant,
    pipeline: str,
    filters: list[dict[str, Any]] | None = None,
    sort_by: str | None = None,
    sort_direction: Literal["asc", "desc"] = "asc",
    limit: int = 100,
) -> list[Record]:
    """Records of a pipeline matching every filter ({"field", "operator", "value"})."""
    found = pipeline_get(tenant=tenant, slug=pipeline)
    queryset = Record.objects.filter(tenant=tenant, pipeline=found).select_related("pipeline")
    for item in filters or []:
        queryset = queryset.filter(
            filter_q(item.get("field", ""), item.get("operator", "=="), item.get("value"))
        )
    if sort_direction not in ("asc", "desc"):
        raise ValueError(f"sort_direction must be 'asc' or 'desc', not {sort_direction!r}")
    sign = "-" if sort_direction == "desc" else ""
    if sort_by is None:
        queryset = queryset.order_by(f"{sign}id")
    elif sort_by in COLUMN_SORTS:
        queryset = queryset.order_by(f"{sign}{sort_by}", f"{sign}id")
    else:
        queryset = queryset.order_by(f"{sign}data__{check_field_name(sort_by)}", f"{sign}id")
    if limit < 1:
        raise ValueError("limit must be at least 1")
    return list(queryset[:limit])


def record_to_dict(record: Record) -> dict[str, Any]:
    """A JSON-able view of a record."""
    return {
        "id": record.pk,
        "pipeline": record.pipeline.slug,
        "data": record.data,
        "created_at": record.created_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
    }
