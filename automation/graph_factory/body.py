"""Run the nodes of a for-each body for the items of a chunk, routing each item on its own.

Nodes run in topological order; a node runs for the items one of its incoming edges fired
for (see items.py), so a branch inside a body is taken per item and a merge runs once per
item. A for_each inside a body runs its whole loop here, within the step, for each item that
reaches it: the same routing over its own body, results nested in the outer item's output.
"""

from __future__ import annotations

import asyncio
from typing import Any

from automation.nodes.loops import DONE_HANDLE, FOR_EACH, ITEM_HANDLE, ForEachConfig

from .gc_freeze import long_lived_frozen
from .graph import GraphNode, WorkflowGraph
from .item_exec import ItemEnv, run_node_items
from .items import CHUNK_MARK, collected, item_state, new_item
from .node_exec import NodeFailure, NodeOutcome, execute_node


def body_nodes(graph: WorkflowGraph, loop_id: str) -> list[GraphNode]:
    """The nodes directly inside a for_each, in topological order."""
    return [node for node in graph.nodes.values() if node.parent_id == loop_id]


def nested_nodes(graph: WorkflowGraph, node: GraphNode) -> list[GraphNode]:
    """`node` and, when it is a for_each, every node inside it at any depth."""
    found = [node]
    for current in found:
        if current.node_type.name == FOR_EACH:
            found.extend(body_nodes(graph, current.id))
    return found


def step_resources(context, target, nodes: list[GraphNode]) -> dict[str, Any]:
    """node id -> its tenant clients by name (or the exception that getting them raised)."""
    resources: dict[str, Any] = {}
    for node in nodes:
        try:
            resources[node.id] = {
                name: getattr(context.resources, name).for_tenant(target.tenant)
                for name in node.node_type.resources
            }
        except Exception as exc:  # noqa: BLE001 - it fails that node's items, as in node_op
            resources[node.id] = exc
    return resources


class BodyRunner:
    """Runs body nodes over chunks; one per step (it keeps the graph's incoming edges)."""

    def __init__(self, graph: WorkflowGraph):
        self.graph = graph
        self._incoming: dict[str, frozenset[tuple[str, str]]] = {}

    def incoming(self, node_id: str) -> frozenset[tuple[str, str]]:
        if node_id not in self._incoming:
            self._incoming[node_id] = frozenset(
                (edge.source, edge.source_handle) for edge in self.graph.incoming(node_id)
            )
        return self._incoming[node_id]

    async def run_nodes(self, env: ItemEnv, nodes: list[GraphNode], chunk: dict) -> None:
        """Run `nodes` (topological order) for the chunk's items their edges fired for."""
        env.loop_runner = self.run_loop
        for node in nodes:
            wanted = self.incoming(node.id)
            entries = [
                entry for entry in chunk["items"]
                if not entry["failed"] and not entry.get("waiting")
                and any(tuple(f) in wanted for f in entry["fired"])
            ]
            if entries:
                await run_node_items(env, node, chunk, entries)

    async def run_loop(self, env: ItemEnv, node: GraphNode, chunk: dict, entry: dict, attempt: int):
        """A for_each inside a body, for one outer item: its whole loop, as one attempt."""
        state = item_state(chunk, entry)
        evaluated = execute_node(node, state, env.target, {}, attempt, log=env.log)
        if evaluated.failure is not None:
            return evaluated
        config: ForEachConfig = node.config
        inner = {
            CHUNK_MARK: True, "execution_id": state["execution_id"], "trigger": state["trigger"],
            "nodes": state["nodes"], "loop": node.id, "key": f"{state['item_key']}/",
            "log_id": None, "error": None,
            "items": [
                new_item(index, item, (node.id, ITEM_HANDLE))
                for index, item in enumerate(evaluated.output["items"])
            ],
        }
        inner_env = ItemEnv(
            target=env.target, resources=env.resources, concurrency=config.max_concurrency,
            on_item_error=config.on_item_error, log=env.log,
            item_path=f"{env.item_path}{entry['index']}/", rows=env.rows,
        )
        await self.run_nodes(inner_env, body_nodes(self.graph, node.id), inner)
        if inner_env.failures and config.on_item_error == "fail":
            failed_node, failed_entry, failure = inner_env.failures[0]
            message = (
                f"item {failed_entry['index']} failed at {failed_node.label}: {failure.message}"
            )
            return NodeOutcome(input=evaluated.input, failure=NodeFailure(
                message=message, error_type="item_failed", transient=failure.transient,
                node_id=node.id, attempt=attempt, input=evaluated.input,
            ))
        return NodeOutcome(input=evaluated.input, output=collected([inner]), handle=DONE_HANDLE)

    def run(self, env: ItemEnv, nodes: list[GraphNode], chunk: dict) -> None:
        """Run `nodes` over the chunk in a fresh event loop (a Dagster step's)."""
        with long_lived_frozen():
            asyncio.run(self.run_nodes(env, nodes, chunk))
