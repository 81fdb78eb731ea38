"""The trigger node: where every workflow starts; its output is the trigger payload."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .base import NodeConfig, NodeResult, NodeRunContext, NodeType


class TriggerConfig(NodeConfig):
    """Start the workflow: manually, from the API or from the Dagster launchpad.

    The output is the trigger payload. `sample_payload` is used when a run is launched
    without one (for example from the Dagster launchpad with the default config).
    """

    trigger_type: Literal["manual"] = "manual"
    sample_payload: dict[str, Any] = Field(default_factory=dict)


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
