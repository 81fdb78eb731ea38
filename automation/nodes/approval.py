"""Human approval: the execution suspends until the assignee decides (or the request expires).

No step, process or worker waits: the node creates the request, suspends (its op records it
as "waiting" and emits nothing, so the run ends) and a decision or the expiry starts a
continuation run from this node (automation/resume.py), where it goes out on `approved`,
`rejected` or `expired` with the decision, who, when and the note as its output.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from .base import (
    NodeConfig,
    NodeError,
    NodeResult,
    NodeRunContext,
    NodeSuspended,
    NodeType,
    Templated,
)

APPROVED, REJECTED, EXPIRED = "approved", "rejected", "expired"


class ApprovalConfig(NodeConfig):
    """Ask a user or a role to approve or reject; the execution waits (for days if need be)
    without holding a worker, then goes on along `approved`, `rejected` or `expired`."""

    title: str = Field(min_length=1, max_length=255)
    description: str = Field(default="", max_length=10000)
    assign_to_user: str | None = Field(
        default=None, description="Username of the approver (a member who may decide approvals)"
    )
    assign_to_role: Literal["approver", "admin"] | None = Field(
        default=None, description="Or any member of this role"
    )
    data: Any = Field(default=None, description="What the approver sees, usually an expression")
    expires_in_hours: Templated[Annotated[float, Field(gt=0, le=24 * 366)]] | None = Field(
        default=None, description="Without a decision by then, go out on `expired`"
    )
    notify: bool = Field(default=True, description="Put a task in the assignee's inbox")

    @model_validator(mode="after")
    def _one_assignee(self) -> ApprovalConfig:
        if bool(self.assign_to_user) == bool(self.assign_to_role):
            raise ValueError("set exactly one of assign_to_user or assign_to_role")
        return self


def _hours(value: float | str | None) -> float | None:
    if value is None:
        return None
    try:
        hours = float(value)
    except (TypeError, ValueError):
        raise NodeError(
            f"expires_in_hours must be a number, got {value!r}", error_type="invalid_config"
        ) from None
    if not 0 < hours <= 24 * 366:
        raise NodeError(
            f"expires_in_hours must be above 0 and at most a year, got {hours:g}",
            error_type="invalid_config",
        )
    return hours


def run_approval(ctx: NodeRunContext, config: ApprovalConfig) -> NodeResult:
    if not ctx.can_suspend:
        raise NodeError(
            "an approval cannot run inside a nested for-each or a batch of events",
            error_type="suspension_not_supported",
        )
    if not ctx.execution_id:
        raise NodeError("an approval needs a recorded execution", error_type="no_execution")
    client = ctx.resource("suspensions")
    found = client.state(execution_id=ctx.execution_id, node_id=ctx.node_id, item_key=ctx.item_key)
    if found is not None and found["resolution"]:
        return NodeResult(output=found["output"], handle=found["resolution"])
    if found is not None:  # re-run while still waiting (e.g. re-executed from the Dagster UI)
        raise NodeSuspended(
            kind="approval",
            output={"approval_id": found["approval_id"], "status": "pending"},
            due_at=found["due_at"],
        )
    hours = _hours(config.expires_in_hours)
    expires_at = client.now() + timedelta(hours=hours) if hours is not None else None
    created = client.request_approval(
        execution_id=ctx.execution_id,
        node_id=ctx.node_id,
        title=config.title,
        description=config.description,
        data=config.data,
        assign_to_user=config.assign_to_user,
        assign_to_role=config.assign_to_role,
        expires_at=expires_at,
        notify=config.notify,
        item_key=ctx.item_key,
    )
    raise NodeSuspended(kind="approval", output=created, due_at=expires_at)


NODE_TYPES = [
    NodeType(
        name="approval",
        label="Approval",
        category="human",
        config_model=ApprovalConfig,
        run=run_approval,
        handles=(APPROVED, REJECTED, EXPIRED),
        resources=frozenset({"suspensions"}),
    ),
]
