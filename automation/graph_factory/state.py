"""The state that flows along edges: trigger payload, execution id, outputs of nodes so far."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict


class FlowState(TypedDict):
    execution_id: str | None
    trigger: Any
    nodes: dict[str, Any]
    # Inside a for-each body or a batch of trigger events only (see items.py):
    item: NotRequired[Any]
    index: NotRequired[int]
    item_key: NotRequired[str]


def initial_state(execution_id: str | None, trigger: Any) -> FlowState:
    return {"execution_id": execution_id, "trigger": trigger, "nodes": {}}


def merge_states(states: list[FlowState]) -> FlowState:
    """Join the states of the branches that ran into a node (fan-in)."""
    if not states:
        raise ValueError("a node with inputs received no state")
    merged: FlowState = {
        "execution_id": states[0]["execution_id"],
        "trigger": states[0]["trigger"],
        "nodes": {},
    }
    for state in states:
        merged["nodes"].update(state["nodes"])
    return merged


def with_output(state: FlowState, node_id: str, output: Any) -> FlowState:
    return {**state, "nodes": {**state["nodes"], node_id: output}}
