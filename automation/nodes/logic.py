"""Logic nodes: condition (if/else) and short wait/delay."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .base import NodeConfig, NodeError, NodeResult, NodeRunContext, NodeType, Templated
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


class WaitDelayConfig(NodeConfig):
    """Wait a few seconds before going on."""

    seconds: Templated[Annotated[float, Field(ge=0, le=300)]]


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


async def run_wait_delay(ctx: NodeRunContext, config: WaitDelayConfig) -> NodeResult:
    try:
        seconds = float(config.seconds)
    except ValueError:
        raise NodeError(
            f"seconds must be a number, got {config.seconds!r}", error_type="invalid_config"
        ) from None
    if not 0 <= seconds <= 300:
        raise NodeError(
            f"seconds must be between 0 and 300, got {seconds:g}", error_type="invalid_config"
        )
    await asyncio.sleep(seconds)
    return NodeResult(output={"waited_s": seconds})


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
    ),
]
