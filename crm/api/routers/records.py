"""Pipelines and records (writes go through crm.records.services, so outbox events follow)."""

from __future__ import annotations

import json
import math
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router
from ninja.responses import Status

from crm.records.models import Pipeline
from crm.records.selectors import record_get, record_to_dict
from crm.records.services import record_create, record_delete, record_update

from ..auth import require
from ..pagination import PageParams
from ..permissions import Perm
from ..schemas.common import Error, RecordId
from ..schemas.records import PipelineOut, RecordIn, RecordOut, RecordPage, RecordPatchIn
from ..selectors import record_page

router = Router(tags=["records"])


class RecordQuery(PageParams):
    filter: list[str] = Field(
        default_factory=list,
        description="field:operator:value, repeatable; the value is read as a JSON scalar "
        '(number, true/false/null, "quoted text") when it parses, else as text',
    )
    sort: str | None = Field(None, description="field or -field (id, created_at, data fields)")


def parse_filter(text: str) -> dict[str, Any]:
    """`field:operator[:value]` → {"field", "operator", "value"}; the value as JSON if it is."""
    parts = text.split(":", 2)
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise ValueError(f"filter {text!r} must look like field:operator:value")
    return {
        "field": parts[0],
        "operator": parts[1],
        "value": _json_or_text(parts[2]) if len(parts) == 3 else None,
    }


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


def _refuse(text: str) -> Any:
    raise ValueError(f"{text} is not JSON")


def _json_or_text(text: str) -> Any:
    """The value as a JSON scalar (finite numbers only: SQL cannot compare NaN), else as text."""
    try:
        value = json.loads(text, parse_float=_finite, parse_constant=_refuse)
    except ValueError:
        return text
    return text if isinstance(value, list | dict) else value


@router.get("/pipelines", response=list[PipelineOut])
def list_pipelines(request: HttpRequest) -> list[Pipeline]:
    who = require(request, Perm.RECORD_READ)
    return list(Pipeline.objects.filter(tenant=who.tenant).order_by("slug"))


@router.get("/pipelines/{slug}/records", response={200: RecordPage, 400: Error, 404: Error})
def list_records(request: HttpRequest, slug: str, query: Query[RecordQuery]) -> dict[str, Any]:
    who = require(request, Perm.RECORD_READ)
    filters = [parse_filter(text) for text in query.filter]
    count, records = record_page(
        tenant=who.tenant,
        pipeline=slug,
        filters=filters,
        sort=query.sort,
        limit=query.limit,
        offset=query.offset,
    )
    return {
        "items": [record_to_dict(record) for record in records],
        "count": count,
        "limit": query.limit,
        "offset": query.offset,
    }


@router.post("/pipelines/{slug}/records", response={201: RecordOut, 404: Error})
def create_record(request: HttpRequest, slug: str, body: RecordIn) -> Status:
    who = require(request, Perm.RECORD_WRITE)
    record = record_create(tenant=who.tenant, pipeline=slug, data=body.data, actor=who.user)
    return Status(201, record_to_dict(record))


@router.get("/records/{record_id}", response={200: RecordOut, 404: Error})
def get_record(request: HttpRequest, record_id: RecordId) -> dict[str, Any]:
    who = require(request, Perm.RECORD_READ)
    return record_to_dict(record_get(tenant=who.tenant, record_id=record_id))


@router.patch("/records/{record_id}", response={200: RecordOut, 404: Error})
def patch_record(request: HttpRequest, record_id: RecordId, body: RecordPatchIn) -> dict[str, Any]:
    """Merge `data` into the record (or replace it with `replace`); unchanged → no event."""
    who = require(request, Perm.RECORD_WRITE)
    record, _ = record_update(
        tenant=who.tenant, record_id=record_id, data=body.data, actor=who.user, replace=body.replace
    )
    return record_to_dict(record)


@router.delete("/records/{record_id}", response={204: None, 404: Error})
def delete_record(request: HttpRequest, record_id: RecordId) -> Status:
    who = require(request, Perm.RECORD_WRITE)
    record_delete(tenant=who.tenant, record_id=record_id, actor=who.user)
    return Status(204, None)
