"""Execution and node-log schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from ninja import Schema


class ExecutionOut(Schema):
    id: UUID
    workflow_id: UUID | None
    workflow_name: str | None
    version_number: int | None
    source: str
    status: str
    started_at: datetime
    completed_at: datetime | None
    duration_ms: int | None
    dagster_run_id: str
    error: str


class NodeLogOut(Schema):
    node_id: str
    type: str
    label: str
    status: str
    attempt: int
    item_index: int | None
    input: Any
    output: Any
    output_handle: str
    error: dict[str, Any] | None
    duration_ms: int | None
    started_at: datetime | None
    completed_at: datetime | None


class ExecutionDetailOut(ExecutionOut):
    dagster_run_url: str
    trigger_data: dict[str, Any]
    final_output: Any
    logs: list[NodeLogOut]
