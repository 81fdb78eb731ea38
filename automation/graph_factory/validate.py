"""Publish-time validation: definition JSON -> issues naming node, edge and field, or a graph.

`validate_definition` never raises: whatever the input, the answer is a report. Issues about an
entry whose id is unknown carry the absolute path (e.g. "nodes.3.id") as their field; all
other fields are relative to the node or edge (e.g. "config.rules.0.operator").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from automation.nodes.base import ERROR_HANDLE, NodeConfig, NodeSettings, NodeType
from automation.nodes.registry import get_node_type

from . import errors as E
from .definition import MAX_ID_LENGTH, DefinitionEdge, DefinitionNode
from .errors import ValidationIssue
from .expression_checks import check_node_expressions, short
from .graph import GraphEdge, GraphNode, WorkflowGraph
from .loop_checks import EdgeRef, check_loops, enclosing_loops, loop_parents
from .node_settings import (
    error_handle_clash,
    handles_with_settings,
    read_settings,
    success_handles,
)
from .paths import pydantic_issues
from .topology import ancestor_masks, reachable, strongly_connected, topological_order

MAX_NODES = 5_000
MAX_EDGES = 20_000
_SHOWN = 10  # node ids listed in a message


@dataclass
class ValidationReport:
    """The outcome of validating a definition: errors, or the graph when there are none."""

    errors: list[ValidationIssue] = field(default_factory=list)
    graph: WorkflowGraph | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Node:
    spec: DefinitionNode
    node_type: NodeType | None = None
    config: NodeConfig | None = None
    handles: tuple[str, ...] | None = None  # None when they depend on invalid config/settings
    settings: NodeSettings | None = None


@dataclass
class _Edge:
    spec: DefinitionEdge
    handle: str | None  # resolved; None when it could not be resolved


def validate_definition(raw: Any) -> ValidationReport:
    """Validate a saved React Flow definition; never raises."""
    try:
        return _Validator(raw).run()
    except Exception as exc:  # noqa: BLE001 - the contract is a report for any input
        issue = ValidationIssue(
            code=E.E_MALFORMED,
            message=f"{E.MESSAGES[E.E_MALFORMED]} It could not be read ({type(exc).__name__}).",
        )
        return ValidationReport(errors=[issue])


def _listed(ids: list[str]) -> str:
    shown = " -> ".join(ids[:_SHOWN])
    return shown + (f" (+{len(ids) - _SHOWN} more)" if len(ids) > _SHOWN else "")


def _entry_id(entry: Any) -> str | None:
    value = entry.get("id") if isinstance(entry, dict) else None
    return value if isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH else None


class _Validator:
    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.errors: list[ValidationIssue] = []
        self.vertices: list[str] = []  # every node id seen once, well formed or not
        self.nodes: dict[str, _Node] = {}  # well-formed nodes
        self.edges: list[_Edge] = []  # well-formed edges between existing nodes
        self.succ: dict[str, list[str]] = {}
        self.pred: dict[str, list[str]] = {}
        self.edges_complete = True  # False when an edge entry could not be read

    def add(self, code: str, message: str, **where: str | None) -> None:
        self.errors.append(ValidationIssue(code=code, message=message, **where))

    def run(self) -> ValidationReport:
        entries = self._top_level()
        if entries is None:
            return ValidationReport(errors=self.errors)
        node_entries, edge_entries = entries
        self._read_nodes(node_entries)
        self._read_edges(edge_entries)
        trigger_id = self._check_triggers()
        self._check_loops()
        masks = self._check_topology(trigger_id)
        self._check_expressions(masks)
        if self.errors or trigger_id is None:
            return ValidationReport(errors=self.errors)
        return ValidationReport(graph=self._build(trigger_id))

    # -- shape ---------------------------------------------------------------------------
    def _top_level(self) -> tuple[list[Any], list[Any]] | None:
        raw = self.raw
        problem, where = None, None
        if not isinstance(raw, dict):
            problem = f"expected an object with 'nodes' and 'edges', got {type(raw).__name__}"
        elif not isinstance(raw.get("nodes"), list):
            problem, where = "'nodes' must be a list", "nodes"
        elif not isinstance(raw.get("edges", []), list):
            problem, where = "'edges' must be a list", "edges"
        elif raw.get("viewport") is not None and not isinstance(raw["viewport"], dict):
            problem, where = "'viewport' must be an object", "viewport"
        elif len(raw["nodes"]) > MAX_NODES or len(raw.get("edges", [])) > MAX_EDGES:
            problem = f"at most {MAX_NODES:,} nodes and {MAX_EDGES:,} edges are supported"
        if problem is not None:
            self.add(E.E_MALFORMED, f"{E.MESSAGES[E.E_MALFORMED]} {problem}.", field=where)
            return None
        return raw["nodes"], raw.get("edges", [])

    def _read_nodes(self, entries: list[Any]) -> None:
        seen: set[str] = set()
        for number, entry in enumerate(entries):
            hint = _entry_id(entry)
            if hint is not None and hint in seen:
                self.add(
                    E.E_DUPLICATE_ID,
                    f"another node already has id {hint!r}",
                    node_id=hint,
                    field="id",
                )
                continue
            if hint is not None:
                seen.add(hint)
                self.vertices.append(hint)
            try:
                spec = DefinitionNode.model_validate(entry)
            except ValidationError as exc:
                prefix = "" if hint else f"nodes.{number}"
                for path, message in pydantic_issues(exc, entry, prefix):
                    self.add(E.E_INVALID_NODE, message, node_id=hint, field=path or None)
                continue
            self.nodes[spec.id] = self._read_node(spec)
        for spec in (node.spec for node in self.nodes.values()):
            if spec.parentId is not None and spec.parentId not in seen:
                self.add(
                    E.E_EDGE_MISSING_NODE,
                    f"parent node {spec.parentId!r} does not exist",
                    node_id=spec.id,
                    field="parentId",
                )

    def _read_node(self, spec: DefinitionNode) -> _Node:
        node = _Node(spec, get_node_type(spec.type))
        if node.node_type is None:
            self.add(
                E.E_UNKNOWN_NODE_TYPE,
                f"unknown node type {short(spec.type)!r}",
                node_id=spec.id,
                field="type",
            )
            return node
        try:
            node.config = node.node_type.config_model.model_validate(spec.data.config)
        except ValidationError as exc:
            for path, message in pydantic_issues(exc, spec.data.config, "config"):
                self.add(E.E_INVALID_CONFIG, message, node_id=spec.id, field=path)
        except (TypeError, ValueError, AssertionError) as exc:  # a validator that raised
            message = f"the configuration could not be validated: {short(str(exc), 300)}"
            self.add(E.E_INVALID_CONFIG, message, node_id=spec.id, field="config")
        self._read_settings(node)
        return node

    def _read_settings(self, node: _Node) -> None:
        """The node's common settings, then its handles (+ "error" when on_error is branch)."""
        assert node.node_type is not None
        node.settings, problems = read_settings(node.spec.data.settings)
        for path, message in problems:
            self.add(E.E_INVALID_CONFIG, message, node_id=node.spec.id, field=path)
        handles_known = node.config is not None or node.node_type.handles_for is None
        if node.settings is None or not handles_known:
            return
        declared = node.node_type.output_handles(node.config)
        clash = error_handle_clash(declared, node.settings)
        if clash is not None:
            self.add(E.E_INVALID_CONFIG, clash, node_id=node.spec.id, field="settings.on_error")
            return
        node.handles = handles_with_settings(declared, node.settings)

    def _read_edges(self, entries: list[Any]) -> None:
        seen: set[str] = set()
        connections: set[tuple[str, str | None, str]] = set()
        vertices = set(self.vertices)
        for number, entry in enumerate(entries):
            hint = _entry_id(entry)
            if hint is not None and hint in seen:
                self.add(
                    E.E_DUPLICATE_ID,
                    f"another edge already has id {hint!r}",
                    edge_id=hint,
                    field="id",
                )
                continue
            if hint is not None:
                seen.add(hint)
            try:
                spec = DefinitionEdge.model_validate(entry)
            except ValidationError as exc:
                self.edges_complete = False  # paths are unknown: skip E006 and E007 "upstream"
                prefix = "" if hint else f"edges.{number}"
                for path, message in pydantic_issues(exc, entry, prefix):
                    self.add(E.E_INVALID_NODE, message, edge_id=hint, field=path or None)
                continue
            missing = [end for end in ("source", "target") if getattr(spec, end) not in vertices]
            for end in missing:
                self.add(
                    E.E_EDGE_MISSING_NODE,
                    f"{end} node {short(getattr(spec, end))!r} does not exist",
                    edge_id=spec.id,
                    field=end,
                )
            if missing:
                continue
            if spec.source == spec.target:
                self.add(
                    E.E_SELF_LOOP, E.MESSAGES[E.E_SELF_LOOP], edge_id=spec.id, node_id=spec.source
                )
                continue
            edge = _Edge(spec, self._resolve_handle(spec))
            key = (spec.source, edge.handle or spec.sourceHandle, spec.target)
            if key in connections:
                self.add(
                    E.E_DUPLICATE_EDGE,
                    f"another edge already connects {spec.source!r} to {spec.target!r} this way",
                    edge_id=spec.id,
                )
                continue
            connections.add(key)
            self.edges.append(edge)
            self.succ.setdefault(spec.source, []).append(spec.target)
            self.pred.setdefault(spec.target, []).append(spec.source)

    def _resolve_handle(self, spec: DefinitionEdge) -> str | None:
        source = self.nodes.get(spec.source)
        if source is None or source.handles is None:
            return None  # the source node has its own issue
        handles, handle = source.handles, spec.sourceHandle
        success = success_handles(handles, source.settings)
        if handle is None and len(success) == 1:
            return success[0]
        if handle in handles:
            return handle
        if handle == ERROR_HANDLE:
            self.add(
                E.E_ERROR_EDGE_NOT_BRANCH,
                f"{E.MESSAGES[E.E_ERROR_EDGE_NOT_BRANCH]} Set on_error of {spec.source!r} to "
                "'branch', or connect this edge to another output.",
                edge_id=spec.id,
                node_id=spec.source,
                field="sourceHandle",
            )
            return None
        choices = ", ".join(handles)
        message = (
            f"choose which output of {spec.source!r} this edge leaves from: {choices}"
            if handle is None
            else f"{spec.source!r} has no output {short(handle)!r}; its outputs: {choices}"
        )
        self.add(
            E.E_UNKNOWN_HANDLE, message, edge_id=spec.id, node_id=spec.source, field="sourceHandle"
        )
        return None

    # -- structure -----------------------------------------------------------------------
    def _check_triggers(self) -> str | None:
        triggers = [i for i, n in self.nodes.items() if n.node_type and n.node_type.is_trigger]
        if not triggers:
            self.add(E.E_NO_TRIGGER, E.MESSAGES[E.E_NO_TRIGGER])
            return None
        for extra in triggers[1:]:
            self.add(
                E.E_MULTIPLE_TRIGGERS,
                f"{E.MESSAGES[E.E_MULTIPLE_TRIGGERS]} Keep {triggers[0]!r}; remove this one.",
                node_id=extra,
            )
        for edge in self.edges:
            if edge.spec.target in triggers:
                self.add(
                    E.E_TRIGGER_HAS_INPUT,
                    E.MESSAGES[E.E_TRIGGER_HAS_INPUT],
                    edge_id=edge.spec.id,
                    node_id=edge.spec.target,
                    field="target",
                )
        return triggers[0]

    def _check_topology(self, trigger_id: str | None) -> dict[str, int]:
        components = strongly_connected(self.vertices, self.succ)
        for component in components:
            if len(component) > 1:
                on_cycle = [v for v in self.vertices if v in set(component)]
                for vertex in on_cycle:
                    self.add(
                        E.E_CYCLE,
                        f"{E.MESSAGES[E.E_CYCLE]} Nodes on it: {_listed(on_cycle)}.",
                        node_id=vertex,
                    )
        if trigger_id is not None and self.edges_complete:
            reached = reachable(trigger_id, self.succ)
            for node_id, node in self.nodes.items():
                is_trigger = node.node_type is not None and node.node_type.is_trigger
                if node_id not in reached and not is_trigger:
                    self.add(E.E_UNREACHABLE, E.MESSAGES[E.E_UNREACHABLE], node_id=node_id)
        bit = {vertex: number for number, vertex in enumerate(self.vertices)}
        return ancestor_masks(components, self.pred, bit)

    def _check_loops(self) -> None:
        parents = {node_id: node.spec.parentId for node_id, node in self.nodes.items()}
        types = {i: n.node_type.name if n.node_type else None for i, n in self.nodes.items()}
        triggers = {i for i, n in self.nodes.items() if n.node_type and n.node_type.is_trigger}
        edges = [EdgeRef(e.spec.id, e.spec.source, e.handle, e.spec.target) for e in self.edges]
        self.errors.extend(check_loops(parents, types, edges, triggers))
        self.parents = loop_parents(parents, types)

    def _check_expressions(self, masks: dict[str, int]) -> None:
        bit = {vertex: number for number, vertex in enumerate(self.vertices)}
        for node_id, node in self.nodes.items():
            mask = masks.get(node_id, 0) if self.edges_complete else -1  # -1: all upstream
            # A body's own for-each (and any loop around it) has no output until it is done.
            around = set(enclosing_loops(node_id, self.parents))

            def is_upstream(ref: str, m: int = mask, around: set[str] = around) -> bool:
                return ref not in around and bool(m >> bit[ref] & 1)

            self.errors.extend(
                check_node_expressions(
                    node_id, node.spec.data.config, is_upstream, bit, in_body=bool(around)
                )
            )

    # -- result --------------------------------------------------------------------------
    def _build(self, trigger_id: str) -> WorkflowGraph:
        order = topological_order(self.vertices, self.succ)
        nodes: dict[str, GraphNode] = {}
        for node_id in order:
            node = self.nodes[node_id]
            assert node.node_type is not None and node.config is not None
            assert node.handles is not None
            nodes[node_id] = GraphNode(
                id=node_id,
                node_type=node.node_type,
                label=node.spec.data.label or node.node_type.label,
                raw_config=node.spec.data.config,
                config=node.config,
                handles=node.handles,
                parent_id=node.spec.parentId,
                settings=node.settings or NodeSettings(),
            )
        edges = [
            GraphEdge(
                id=e.spec.id,
                source=e.spec.source,
                target=e.spec.target,
                source_handle=e.handle or "",
            )
            for e in self.edges
        ]
        return WorkflowGraph(nodes=nodes, edges=edges, trigger_id=trigger_id)
