"""Record writes; each one writes its outbox RecordEvent in the same transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

from django.db import IntegrityError, transaction
from django.utils import timezone

from crm.db_bulk import insert_many, update_many
from crm.tenants.models import Tenant

from .errors import RecordNotFound
from .models import Pipeline, Record, RecordEvent, RecordEventKind, RecordWriteKey
from .selectors import pipeline_get, record_to_dict

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


def write_key(execution_id: str, node_id: str, item_key: str) -> str:
    """The idempotency key of one write: execution, node and item."""
    return hashlib.sha256(f"{execution_id}\x1f{node_id}\x1f{item_key}".encode()).hexdigest()


def record_write_once(
    *,
    tenant: Tenant,
    execution_id: str,
    node_id: str,
    item_key: str,
    write: Callable[[], dict[str, Any]],
) -> tuple[dict[str, Any], bool]:
    """Do `write` once per (execution, node, item): (its result, True), or on a repeat the
    stored result and False. The write and its key commit together."""
    key = write_key(execution_id, node_id, item_key)
    stored = RecordWriteKey.objects.filter(key=key).values_list("result", flat=True).first()
    if stored is not None:
        return stored, False
    try:
        with transaction.atomic():
            result = write()
            RecordWriteKey.objects.create(
                tenant=tenant, key=key, execution_id=execution_id[:64], node_id=node_id[:255],
                item_key=item_key[:255], result=result,
            )
    except IntegrityError:  # a concurrent run wrote it first: its write stands, ours rolled back
        stored = RecordWriteKey.objects.filter(key=key).values_list("result", flat=True).first()
        if stored is None:
            raise
        return stored, False
    return result, True


class RecordUpdate(NamedTuple):
    """One update of record_update_many; `key` (execution, node, item) makes it once only."""

    record_id: int
    data: dict[str, Any]
    pipeline: str | None = None
    key: tuple[str, str, str] | None = None


IN_BATCH = 500  # ids per IN (...) query


def _slices(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), IN_BATCH):
        yield values[start:start + IN_BATCH]


@transaction.atomic
def record_update_many(
    *, tenant: Tenant, updates: Sequence[RecordUpdate], actor: Any = None
) -> list[dict[str, Any] | Exception]:
    """Many record_update calls (merge, with keys as record_write_once) in a few queries.

    Per update, in order: {"record", "changed_fields"} (an update done before under its key
    gives its stored result), or the exception record_update would raise (RecordNotFound,
    ValueError), which writes nothing for that update. Updates of the same record apply in
    turn; each change writes its RecordEvent, and each keyed update its RecordWriteKey, in
    this transaction. A key stored meanwhile by a concurrent run raises IntegrityError (and
    rolls back all): the caller then goes one by one.
    """
    hashed = [write_key(*update.key) if update.key else None for update in updates]
    stored: dict[str, Any] = {}
    for part in _slices([key for key in hashed if key]):
        stored.update(RecordWriteKey.objects.filter(key__in=part).values_list("key", "result"))
    ids = sorted({
        update.record_id for update, key in zip(updates, hashed, strict=True)
        if key not in stored and isinstance(update.record_id, int)
    })
    records: dict[int, Record] = {}
    for part in _slices(ids):
        records.update(
            (record.pk, record)
            for record in Record.objects.select_for_update().select_related("pipeline")
            .filter(tenant=tenant, pk__in=part)
        )
    now = timezone.now()
    results: list[dict[str, Any] | Exception] = []
    changed_records: dict[int, Record] = {}
    events: list[RecordEvent] = []
    keys: dict[str, RecordWriteKey] = {}
    for update, key in zip(updates, hashed, strict=True):
        if key is not None and key in stored:
            results.append(stored[key])
            continue
        if key is not None and key in keys:  # the same key twice: done once
            results.append(keys[key].result)
            continue
        record = records.get(update.record_id)
        try:
            _check_data(update.data)
            if record is None or (
                update.pipeline is not None and record.pipeline.slug != update.pipeline
            ):
                raise RecordNotFound(update.record_id)
        except (ValueError, RecordNotFound) as exc:
            results.append(exc)
            continue
        new = {**record.data, **update.data}
        changed = {
            field: {"old": record.data.get(field), "new": new.get(field)}
            for field in sorted(set(record.data) | set(new))
            if record.data.get(field, _MISSING) != new.get(field, _MISSING)
        }
        if changed:
            record.data, record.updated_at = new, now
            changed_records[record.pk] = record
            events.append(RecordEvent(
                tenant_id=record.tenant_id, pipeline_id=record.pipeline_id, record_id=record.pk,
                kind=RecordEventKind.UPDATED, data=new, changed_fields=changed, actor=actor,
            ))
        result = {"record": record_to_dict(record), "changed_fields": changed}
        results.append(result)
        if key is not None:
            execution_id, node_id, item_key = update.key
            keys[key] = RecordWriteKey(
                tenant=tenant, key=key, execution_id=execution_id[:64], node_id=node_id[:255],
                item_key=item_key[:255], result=result,
            )
    update_many(list(changed_records.values()), ["data", "updated_at"])
    insert_many(events)
    insert_many(list(keys.values()))
    return results
