"""The validated workflow graph that the compiler turns into a Dagster job."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from automation.nodes.base import NodeConfig, NodeSettings, NodeType


@dataclass
class GraphNode:
    id: str
    node_type: NodeType
    label: str
    raw_config: dict[str, Any]  # as authored: expressions not evaluated
    config: NodeConfig  # validated at publish time (expression strings still in place)
    handles: tuple[str, ...]  # output handles (with "error" when settings.on_error is branch)
    parent_id: str | None = None
    settings: NodeSettings = field(default_factory=NodeSettings)


@dataclass(frozen=True)
class GraphEdge:
    id: str
    source: str
    target: str
    source_handle: str  # resolved: never None


@dataclass
class WorkflowGraph:
    """Nodes in topological order (trigger first), edges with resolved handles."""

    nodes: dict[str, GraphNode]
    edges: list[GraphEdge]
    trigger_id: str
    _ancestors: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)

    def incoming(self, node_id: str) -> list[GraphEdge]:
        return [edge for edge in self.edges if edge.target == node_id]

    def outgoing(self, node_id: str) -> list[GraphEdge]:
        return [edge for edge in self.edges if edge.source == node_id]

    def ancestors(self, node_id: str) -> frozenset[str]:
        """Every node with a path to `node_id` (not including itself)."""
        if node_id not in self._ancestors:
            found: set[str] = set()
            stack = [edge.source for edge in self.incoming(node_id)]
            while stack:
                current = stack.pop()
                if current in found:
                    continue
                found.add(current)
                stack.extend(edge.source for edge in self.incoming(current))
            self._ancestors[node_id] = frozenset(found)
        return self._ancestors[node_id]
