"""Human interaction nodes: task/notification (approval comes in its own module)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from pydantic import Field, model_validator

from .base import NodeConfig, NodeError, NodeResult, NodeRunContext, NodeType, Templated

RoleName = Literal["admin", "editor", "operator", "approver", "viewer"]


class TaskNotifyConfig(NodeConfig):
    """Create a task or notification in the CRM for a user or a role."""

    kind: Literal["task", "notification"] = "task"
    title: str = Field(min_length=1, max_length=255)
    body: str = Field(default="", max_length=10000)
    assign_to_user: str | None = Field(default=None, description="Username of the assignee")
    assign_to_role: RoleName | None = Field(default=None, description="Or every member of a role")
    priority: Literal["low", "normal", "high"] = "normal"
    due_in_hours: Templated[Annotated[float, Field(ge=0)]] | None = None

    @model_validator(mode="after")
    def _one_assignee(self) -> TaskNotifyConfig:
        if bool(self.assign_to_user) == bool(self.assign_to_role):
            raise ValueError("set exactly one of assign_to_user or assign_to_role")
        return self


def _due_at(hours: float | str | None) -> datetime | None:
    if hours is None:
        return None
    try:
        return datetime.now(UTC) + timedelta(hours=float(hours))
    except (TypeError, ValueError, OverflowError):
        raise NodeError(
            f"due_in_hours must be a number, got {hours!r}", error_type="invalid_config"
        ) from None


def run_task_notify(ctx: NodeRunContext, config: TaskNotifyConfig) -> NodeResult:
    created = ctx.resource("notify").create_task(
        title=config.title,
        body=config.body,
        kind=config.kind,
        assign_to_user=config.assign_to_user,
        assign_to_role=config.assign_to_role,
        priority=config.priority,
        due_at=_due_at(config.due_in_hours),
        execution_id=ctx.execution_id,
        node_id=ctx.node_id,
    )
    return NodeResult(output=created)


NODE_TYPES = [
    NodeType(
        name="task_notify",
        label="Task/Notification",
        category="human",
        config_model=TaskNotifyConfig,
        run=run_task_notify,
        resources=frozenset({"notify"}),
    ),
]
