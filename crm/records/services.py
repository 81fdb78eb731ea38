"""Record writes; each one writes its outbox RecordEvent in the same transaction."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from crm.tenants.models import Tenant

from .errors import RecordNotFound
from .models import Pipeline, Record, RecordEvent, RecordEventKind
from .selectors import pipeline_get

_MISSING = object()


def _check_data(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValueError(f"record data must be a JSON object (dict), not {type(data).__name__}")
    return data


def _locked(tenant: Tenant, record_id: int) -> Record:
    try:
        return (
            Record.objects.select_for_update()
            .select_related("pipeline")
            .get(tenant=tenant, pk=record_id)
        )
    except (Record.DoesNotExist, ValueError, TypeError):
        raise RecordNotFound(record_id) from None


def _event(record: Record, kind: str, actor: Any, changed: dict | None = None) -> RecordEvent:
    return RecordEvent.objects.create(
        tenant_id=record.tenant_id,
        pipeline_id=record.pipeline_id,
        record_id=record.pk,
        kind=kind,
        data=record.data,
        changed_fields=changed or {},
        actor=actor,
    )


@transaction.atomic
def record_create(
    *, tenant: Tenant, pipeline: Pipeline | str, data: dict[str, Any], actor: Any = None
) -> Record:
    """Create a record in one of the tenant's pipelines (by object or slug)."""
    _check_data(data)
    if isinstance(pipeline, str):
        pipeline = pipeline_get(tenant=tenant, slug=pipeline)
    elif pipeline.tenant_id != tenant.pk:
        raise ValueError("the pipeline belongs to another tenant")
    record = Record.objects.create(
        tenant=tenant, pipeline=pipeline, data=dict(data), created_by=actor
    )
    _event(record, RecordEventKind.CREATED, actor)
    return record


@transaction.atomic
def record_update(
    *,
    tenant: Tenant,
    record_id: int,
    data: dict[str, Any],
    actor: Any = None,
    pipeline: str | None = None,
    replace: bool = False,
) -> tuple[Record, dict[str, dict[str, Any]]]:
    """Merge `data` into the record (or replace it all); return the changed fields.

    Nothing is written, not even an event, when no value changes. `pipeline`, when given,
    must be the record's pipeline slug. With `replace`, removed fields change to None.
    """
    _check_data(data)
    record = _locked(tenant, record_id)
    if pipeline is not None and record.pipeline.slug != pipeline:
        raise RecordNotFound(record_id)
    new = dict(data) if replace else {**record.data, **data}
    changed = {
        key: {"old": record.data.get(key), "new": new.get(key)}
        for key in sorted(set(record.data) | set(new))
        if record.data.get(key, _MISSING) != new.get(key, _MISSING)
    }
    if changed:
        record.data = new
        record.save(update_fields=["data", "updated_at"])
        _event(record, RecordEventKind.UPDATED, actor, changed)
    return record, changed


@transaction.atomic
def record_delete(*, tenant: Tenant, record_id: int, actor: Any = None) -> None:
    """Delete the tenant's record and write a record_deleted event with its last data."""
    record = _locked(tenant, record_id)
    _event(record, RecordEventKind.DELETED, actor)
    record.delete()
