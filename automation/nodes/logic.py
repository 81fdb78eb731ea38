"""Logic nodes: condition (if/else) and wait/delay (long waits suspend the execution)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .base import (
    NodeConfig,
    NodeError,
    NodeResult,
    NodeRunContext,
    NodeSuspended,
    NodeType,
    Templated,
)
from .operators import Operator, compare


class ConditionRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    left: Any = Field(description="Value to test, usually an expression")
    operator: Operator = "=="
    right: Any = None


class ConditionConfig(NodeConfig):
    """Branch: go out on `true` when the rules match, else on `false`."""

    rules: list[ConditionRule] = Field(min_length=1, max_length=50)
    combine: Literal["all", "any"] = "all"


# Waits up to this long sleep in the step; longer ones suspend the execution (no worker is
# held) and a continuation run resumes it when due (automation/resume.py).
SLEEP_IN_STEP_MAX_S = 60.0
MAX_WAIT_S = 366 * 24 * 3600.0
_UNITS = {"seconds": 1.0, "minutes": 60.0, "hours": 3600.0, "days": 86400.0}
Amount = Templated[Annotated[float, Field(ge=0)]] | None


class WaitDelayConfig(NodeConfig):
    """Wait for a duration or until a date and time, then go on. Waits of up to a minute
    sleep in the step; longer ones suspend the execution without holding a worker and resume
    when due."""

    seconds: Amount = None
    minutes: Amount = None
    hours: Amount = None
    days: Amount = None
    until: Templated[datetime] | None = Field(
        default=None, description="Or wait until this date and time (ISO 8601; UTC if no zone)"
    )

    @model_validator(mode="after")
    def _one_way(self) -> WaitDelayConfig:
        given = [name for name in (*_UNITS, "until") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("set exactly one of seconds, minutes, hours, days or until")
        return self


def run_condition(ctx: NodeRunContext, config: ConditionConfig) -> NodeResult:
    matched: list[int] = []
    for index, rule in enumerate(config.rules):
        try:
            if compare(rule.left, rule.operator, rule.right):
                matched.append(index)
        except ValueError as exc:
            raise NodeError(f"rule {index + 1}: {exc}", error_type="condition_error") from exc
    combine = all if config.combine == "all" else any
    result = combine(index in matched for index in range(len(config.rules)))
    return NodeResult(
        output={"result": result, "matched": matched}, handle="true" if result else "false"
    )


def _duration_s(config: WaitDelayConfig) -> float | None:
    for unit, factor in _UNITS.items():
        value = getattr(config, unit)
        if value is None:
            continue
        try:
            seconds = float(value) * factor
        except (TypeError, ValueError):
            raise NodeError(
                f"{unit} must be a number, got {value!r}", error_type="invalid_config"
            ) from None
        if not 0 <= seconds <= MAX_WAIT_S:
            raise NodeError(
                f"a wait must be between 0 and 366 days, got {seconds:g} s",
                error_type="invalid_config",
            )
        return seconds
    return None


def _until(value: Any) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise NodeError(
                f"until must be an ISO 8601 date and time, got {value!r}",
                error_type="invalid_config",
            ) from None
    if not isinstance(value, datetime):
        raise NodeError(
            f"until must be a date and time, got {value!r}", error_type="invalid_config"
        )
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _state_in_thread(client: Any, **key: Any) -> Any:
    """The ORM is sync-only: ask from a worker thread, closing its connection after."""
    from django.db import connection

    try:
        return client.state(**key)
    finally:
        connection.close()


async def run_wait_delay(ctx: NodeRunContext, config: WaitDelayConfig) -> NodeResult:
    duration = _duration_s(config)
    if duration is not None and duration <= SLEEP_IN_STEP_MAX_S:
        await asyncio.sleep(duration)
        return NodeResult(output={"waited_s": duration})
    client = ctx.resource("suspensions")
    can_suspend = ctx.can_suspend and bool(ctx.execution_id)
    found = None
    if can_suspend:
        found = await asyncio.to_thread(
            _state_in_thread,
            client,
            execution_id=ctx.execution_id,
            node_id=ctx.node_id,
            item_key=ctx.item_key,
        )
    if found is not None and found["resolution"]:  # the continuation run, once due
        return NodeResult(
            output={**(found["output"] or {}), "resumed_at": client.now().isoformat()}
        )
    now = client.now()
    started = found["created_at"] if found is not None else now
    due = _until(config.until) if duration is None else started + timedelta(seconds=duration)
    remaining = (due - now).total_seconds()
    if remaining <= SLEEP_IN_STEP_MAX_S:
        await asyncio.sleep(max(0.0, remaining))
        return NodeResult(output={"waited_s": max(0.0, remaining), "waited_until": due.isoformat()})
    raise NodeSuspended(
        kind="wait",
        output={"waiting_until": due.isoformat(), "suspended_at": started.isoformat()},
        due_at=due,
    )


NODE_TYPES = [
    NodeType(
        name="condition",
        label="Condition (If/Else)",
        category="logic",
        config_model=ConditionConfig,
        run=run_condition,
        handles=("true", "false"),
    ),
    NodeType(
        name="wait_delay",
        label="Wait/Delay",
        category="logic",
        config_model=WaitDelayConfig,
        run=run_wait_delay,
        resources=frozenset({"suspensions"}),
    ),
]
