"""The trigger node: where every workflow starts; its output is the trigger payload.

Its config says what starts the workflow (manual, a record event, a field change, a schedule
or a webhook), which events count (pipelines, conditions on the record data, watched fields)
and how events are delivered to runs (batches of up to `max_events`, or one run per event).
"""

from __future__ import annotations

import zoneinfo
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .base import NodeConfig, NodeResult, NodeRunContext, NodeType
from .operators import Operator

TriggerKind = Literal[
    "manual",
    "record_created",
    "record_updated",
    "field_changed",
    "record_deleted",
    "schedule",
    "webhook",
]
RECORD_KINDS = frozenset({"record_created", "record_updated", "field_changed", "record_deleted"})


class RecordRule(BaseModel):
    """A condition on the record's data after the change (the condition node's operators)."""

    model_config = ConfigDict(extra="forbid")

    field: str = Field(min_length=1, max_length=200, description="Field name; dots go deeper")
    operator: Operator = "=="
    value: Any = None


class BatchPolicy(BaseModel):
    """How events reach runs: many events of this workflow per run, or one run per event."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["batch", "per_event"] = Field(
        default="batch",
        description="batch: events waiting at a sensor tick share a run, each processed as an "
        "item; per_event: one run per event",
    )
    max_events: int = Field(default=100, ge=1, le=1000, description="Most events in one run")
    max_wait_s: float = Field(
        default=0,
        ge=0,
        le=3600,
        description="Hold a batch smaller than max_events until its oldest event is this old",
    )


class TriggerConfig(NodeConfig):
    """Start the workflow: manually, on record events, on a schedule or from a webhook.

    The output is the trigger payload. `sample_payload` is used when a run is launched
    without one (for example from the Dagster launchpad with the default config).
    """

    trigger_type: TriggerKind = "manual"
    sample_payload: dict[str, Any] = Field(default_factory=dict)
    pipelines: list[str] = Field(
        default_factory=list, max_length=50, description="Pipeline slugs (none: every pipeline)"
    )
    conditions: list[RecordRule] = Field(default_factory=list, max_length=50)
    combine: Literal["all", "any"] = "all"
    fields: list[str] = Field(
        default_factory=list, max_length=50, description="field_changed: the watched fields"
    )
    from_value: Any = Field(default=None, description="field_changed: only from this value")
    to_value: Any = Field(default=None, description="field_changed: only to this value")
    cron: str | None = Field(default=None, description="schedule: 5-field cron expression")
    timezone: str = Field(default="UTC", description="schedule: IANA time zone, e.g. Europe/Paris")
    batch: BatchPolicy = Field(default_factory=BatchPolicy)

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str | None) -> str | None:
        from dagster._utils.schedules import is_valid_cron_string

        if value is not None and not is_valid_cron_string(value.strip()):
            raise ValueError(f"{value!r} is not a valid 5-field cron expression")
        return value.strip() if value is not None else None

    @field_validator("timezone")
    @classmethod
    def _valid_timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _kind_needs(self) -> TriggerConfig:
        if self.trigger_type == "schedule" and not self.cron:
            raise ValueError("a schedule trigger needs a cron expression")
        if self.trigger_type == "field_changed" and not self.fields:
            raise ValueError("a field_changed trigger needs at least one field")
        return self

    def watches_from(self) -> bool:
        return "from_value" in self.model_fields_set

    def watches_to(self) -> bool:
        return "to_value" in self.model_fields_set


# Workflow.trigger_type values spelled differently from the node's trigger_type.
_KIND_OF_WORKFLOW_TYPE = {"scheduled": "schedule"}
WORKFLOW_TYPE_OF_KIND = {"schedule": "scheduled"}


def effective_trigger(
    node_config: dict[str, Any], workflow_type: str | None, workflow_config: dict[str, Any] | None
) -> TriggerConfig:
    """The trigger a version runs with: the trigger node's config when it names a
    `trigger_type`; otherwise the workflow's trigger settings (`trigger_type`,
    `trigger_config`) over the node's config. Raises pydantic's ValidationError."""
    if "trigger_type" in node_config:
        return TriggerConfig.model_validate(node_config)
    kind = _KIND_OF_WORKFLOW_TYPE.get(workflow_type or "manual", workflow_type or "manual")
    merged = {**node_config, **(workflow_config or {}), "trigger_type": kind}
    return TriggerConfig.model_validate(merged)


def run_trigger(ctx: NodeRunContext, config: TriggerConfig) -> NodeResult:
    return NodeResult(output=ctx.state.get("trigger", {}))


TRIGGER = NodeType(
    name="trigger",
    label="Trigger",
    category="triggers",
    config_model=TriggerConfig,
    run=run_trigger,
    is_trigger=True,
)
NODE_TYPES = [TRIGGER]
