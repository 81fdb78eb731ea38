"""Pipeline and record schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema

from ..pagination import PageOut


class PipelineOut(Schema):
    slug: str
    name: str
    fields: list[Any]


class RecordIn(Schema):
    data: dict[str, Any]


class RecordPatchIn(Schema):
    data: dict[str, Any]
    replace: bool = False


class RecordOut(Schema):
    id: int
    pipeline: str
    data: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class RecordPage(PageOut):
    items: list[RecordOut]
