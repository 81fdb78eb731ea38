"""Workflow, version, validation and run schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from ninja import Field, Schema

from crm.workflows.models import WorkflowStatus, WorkflowTriggerType

from .common import ValidationIssueOut

TriggerType = Literal[tuple(WorkflowTriggerType.values)]  # type: ignore[valid-type]
Status = Literal[tuple(WorkflowStatus.values)]  # type: ignore[valid-type]


class SettingsIn(Schema):
    retry_count: int | None = Field(None, ge=0, le=10)
    timeout_minutes: int | None = Field(None, ge=1, le=24 * 60)
    max_executions_per_hour: int | None = Field(None, ge=1, le=100_000)


class SettingsOut(Schema):
    retry_count: int
    timeout_minutes: int
    max_executions_per_hour: int


class WorkflowCreateIn(Schema):
    name: str = Field(..., min_length=1, max_length=255)
    description: str = ""
    definition: dict[str, Any] = Field(default_factory=dict)
    trigger_type: TriggerType = WorkflowTriggerType.MANUAL.value
    trigger_config: dict[str, Any] = Field(default_factory=dict)
    settings: SettingsIn = Field(default_factory=SettingsIn)


class WorkflowPatchIn(Schema):
    name: str | None = Field(None, min_length=1, max_length=255)
    description: str | None = None
    definition: dict[str, Any] | None = None
    trigger_type: TriggerType | None = None
    trigger_config: dict[str, Any] | None = None
    settings: SettingsIn | None = None
    status: Status | None = None


class WorkflowOut(Schema):
    id: UUID
    name: str
    description: str
    status: str
    trigger_type: str
    trigger_config: dict[str, Any]
    settings: SettingsOut
    current_version: int | None
    created_at: datetime
    updated_at: datetime


class WorkflowDetailOut(WorkflowOut):
    definition: dict[str, Any]


class DefinitionIn(Schema):
    """An optional definition; without it the workflow's draft is used."""

    definition: dict[str, Any] | None = None


class ValidationOut(Schema):
    ok: bool
    errors: list[ValidationIssueOut]


class VersionOut(Schema):
    number: int
    settings: dict[str, Any]
    published_by: str | None
    published_at: datetime


class VersionDetailOut(VersionOut):
    workflow_id: UUID
    definition: dict[str, Any]


class RunIn(Schema):
    """The trigger payload (the trigger's sample payload when left out)."""

    payload: dict[str, Any] | None = None
    wait: bool = False


class RunStartedOut(Schema):
    execution_id: UUID
    status: str
    dagster_run_id: str
    dagster_run_url: str
