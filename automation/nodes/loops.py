"""The for-each node: run the nodes inside its group (its body) once per item of a list.

Its `run` only evaluates the list; the graph factory runs the body (automation.graph_factory
.for_each for loops at the top level, .body for loops inside a body).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator

from .base import NodeConfig, NodeError, NodeResult, NodeRunContext, NodeType

FOR_EACH = "for_each"
ITEM_HANDLE = "item"  # edges to the body's entry nodes
DONE_HANDLE = "done"  # after every item, with the collected results
MAX_BATCH_SIZE = 10_000
MAX_CONCURRENCY = 500


def type_name(value: Any) -> str:
    """The JSON name of a value's type, for messages."""
    names = {dict: "object", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


class ForEachConfig(NodeConfig):
    """Run the nodes inside this group once per item of a list, in chunks, concurrently.

    `items` must give a list (e.g. {{ nodes.find.records }}). Inside the group, expressions may
    use `item` and `index`; after it, the `done` output holds every item's result in order.
    """

    items: Any = Field(description="Expression giving the list, e.g. {{ nodes.find.records }}")
    batch_size: int = Field(
        default=100, ge=1, le=MAX_BATCH_SIZE, description="Items per chunk (one Dagster step)"
    )
    max_concurrency: int = Field(
        default=10, ge=1, le=MAX_CONCURRENCY, description="Items of a chunk running at once"
    )
    on_item_error: Literal["fail", "continue"] = Field(
        default="fail",
        description="An item that fails for good: fail its chunk (fail), or mark it failed "
        "and go on with the other items (continue)",
    )

    @field_validator("items")
    @classmethod
    def _list_or_expression(cls, value: Any, info: ValidationInfo) -> Any:
        """As authored: a list or an expression (once evaluated, `run` checks the value)."""
        evaluated = bool(info.context and info.context.get("evaluated"))
        if evaluated or isinstance(value, list) or (isinstance(value, str) and "{{" in value):
            return value
        raise ValueError(f"must be a list or an expression giving one, got {type_name(value)}")


def items_of(value: Any) -> list[Any]:
    """The evaluated `items`, or a NodeError naming what it got instead of a list."""
    if isinstance(value, list | tuple):
        return list(value)
    raise NodeError(
        f"items must be a list, got {type_name(value)}", error_type="items_not_a_list"
    )


def run_for_each(ctx: NodeRunContext, config: ForEachConfig) -> NodeResult:
    """Evaluate the list; the body runs elsewhere (see the module docstring)."""
    return NodeResult(output={"items": items_of(config.items)}, handle=ITEM_HANDLE)


NODE_TYPES = [
    NodeType(
        name=FOR_EACH,
        label="For Each",
        category="logic",
        config_model=ForEachConfig,
        run=run_for_each,
        # "done" first: with on_error=continue the error goes on after the loop.
        handles=(DONE_HANDLE, ITEM_HANDLE),
    ),
]
