"""Record nodes: create, update and find CRM records of the workflow's tenant."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .base import NodeConfig, NodeError, NodeResult, NodeRunContext, NodeType, Templated
from .operators import Operator


class RecordCreateConfig(NodeConfig):
    """Create a record in a pipeline; values may be expressions."""

    pipeline: str = Field(min_length=1, max_length=100, description="Pipeline slug")
    data: dict[str, Any] = Field(default_factory=dict, description="Field values")


class RecordUpdateConfig(NodeConfig):
    """Update fields of a record; only the given fields change."""

    pipeline: str = Field(min_length=1, max_length=100, description="Pipeline slug")
    record_id: Templated[int] = Field(description="Record id, e.g. {{ trigger.record.id }}")
    data: dict[str, Any] = Field(min_length=1, description="Field values to set")


class RecordFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str = Field(min_length=1, max_length=100)
    operator: Operator = "=="
    value: Any = None


class RecordFindConfig(NodeConfig):
    """Find records in a pipeline by their fields, sorted and limited."""

    pipeline: str = Field(min_length=1, max_length=100, description="Pipeline slug")
    filters: list[RecordFilter] = Field(default_factory=list, max_length=50)
    sort_by: str | None = Field(default=None, description="Field to sort by (or 'id')")
    sort_direction: Literal["asc", "desc"] = "asc"
    limit: Templated[Annotated[int, Field(ge=1, le=10_000)]] = 100


def concrete_int(value: Any, name: str) -> int:
    """An evaluated integer config value; an expression left unevaluated is an error."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NodeError(
            f"{name} must be an integer, got {value!r}", error_type="invalid_config"
        ) from None


def write_key(ctx: NodeRunContext) -> Any:
    """Inside a for-each or a batch of events, a write happens once per execution, node and
    item, however often its step is retried or re-executed."""
    from crm_resources.records import WriteKey

    if ctx.item_key is None or not ctx.execution_id:
        return None
    return WriteKey(str(ctx.execution_id), ctx.node_id, ctx.item_key)


def run_record_create(ctx: NodeRunContext, config: RecordCreateConfig) -> NodeResult:
    record = ctx.resource("records").create(config.pipeline, config.data, key=write_key(ctx))
    return NodeResult(output={"record": record})


def run_record_update(ctx: NodeRunContext, config: RecordUpdateConfig) -> NodeResult:
    record_id = concrete_int(config.record_id, "record_id")
    updated = ctx.resource("records").update(
        config.pipeline, record_id, config.data, key=write_key(ctx)
    )
    return NodeResult(
        output={"record": updated["record"], "changed_fields": updated["changed_fields"]}
    )


def run_record_update_batch(
    calls: list[tuple[NodeRunContext, RecordUpdateConfig]],
) -> list[NodeResult | BaseException]:
    """run_record_update for many items of a chunk: one bulk write (see RecordsClient)."""
    results: list[NodeResult | BaseException | None] = [None] * len(calls)
    updates, positions = [], []
    for position, (ctx, config) in enumerate(calls):
        try:
            record_id = concrete_int(config.record_id, "record_id")
        except NodeError as exc:
            results[position] = exc
            continue
        updates.append((config.pipeline, record_id, config.data, write_key(ctx)))
        positions.append(position)
    if updates:
        done = calls[0][0].resource("records").update_many(updates)
        for position, updated in zip(positions, done, strict=True):
            results[position] = updated if isinstance(updated, BaseException) else NodeResult(
                output={"record": updated["record"], "changed_fields": updated["changed_fields"]}
            )
    return results  # type: ignore[return-value]


def run_record_find(ctx: NodeRunContext, config: RecordFindConfig) -> NodeResult:
    records = ctx.resource("records").find(
        config.pipeline,
        [item.model_dump() for item in config.filters],
        config.sort_by,
        config.sort_direction,
        concrete_int(config.limit, "limit"),
    )
    return NodeResult(output={"records": records, "count": len(records)})


NODE_TYPES = [
    NodeType(
        name="record_create",
        label="Create Record",
        category="records",
        config_model=RecordCreateConfig,
        run=run_record_create,
        resources=frozenset({"records"}),
    ),
    NodeType(
        name="record_update",
        label="Update Record",
        category="records",
        config_model=RecordUpdateConfig,
        run=run_record_update,
        run_batch=run_record_update_batch,
        resources=frozenset({"records"}),
    ),
    NodeType(
        name="record_find",
        label="Find Records",
        category="records",
        config_model=RecordFindConfig,
        run=run_record_find,
        resources=frozenset({"records"}),
    ),
]
