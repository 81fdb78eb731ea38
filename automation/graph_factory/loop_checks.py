"""Publish-time rules of for-each groups (E018-E021): who may be in a body, which edges may
cross its boundary. A node's `parentId` puts it in the body of that for_each node."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from automation.nodes.base import ERROR_HANDLE
from automation.nodes.loops import DONE_HANDLE, FOR_EACH, ITEM_HANDLE

from . import errors as E
from .errors import ValidationIssue

__all__ = ["EdgeRef", "check_loops", "enclosing_loops", "loop_parents"]


@dataclass(frozen=True)
class EdgeRef:
    id: str
    source: str
    handle: str | None  # resolved; None when unresolved (reported elsewhere)
    target: str


def enclosing_loops(node_id: str, parents: Mapping[str, str | None]) -> list[str]:
    """The for-each nodes a node is inside, innermost first (stops on a parent cycle)."""
    chain: list[str] = []
    current = parents.get(node_id)
    while current is not None and current not in chain and current != node_id:
        chain.append(current)
        current = parents.get(current)
    return chain


def loop_parents(
    parents: Mapping[str, str | None], types: Mapping[str, str | None]
) -> dict[str, str | None]:
    """Parents that are for_each nodes (others are reported by check_loops, then ignored)."""
    return {
        node_id: parent if parent is not None and types.get(parent) == FOR_EACH else None
        for node_id, parent in parents.items()
    }


def check_loops(
    parents: Mapping[str, str | None],
    types: Mapping[str, str | None],
    edges: list[EdgeRef],
    triggers: set[str],
) -> Iterator[ValidationIssue]:
    """Issues about for-each groups: parents, the trigger's place and boundary edges."""
    for node_id, parent in parents.items():
        if parent is None or parent not in types:
            continue  # no parent, or a missing one (E004)
        if types[parent] != FOR_EACH:
            yield ValidationIssue(
                code=E.E_LOOP_PARENT,
                message=f"{E.MESSAGES[E.E_LOOP_PARENT]} {parent!r} is not a for_each node.",
                node_id=node_id,
                field="parentId",
            )
        elif node_id in enclosing_loops(parent, parents) or parent == node_id:
            yield ValidationIssue(
                code=E.E_LOOP_PARENT,
                message=f"{E.MESSAGES[E.E_LOOP_PARENT]} The groups contain each other.",
                node_id=node_id,
                field="parentId",
            )
        if node_id in triggers:
            yield ValidationIssue(
                code=E.E_TRIGGER_IN_LOOP,
                message=E.MESSAGES[E.E_TRIGGER_IN_LOOP],
                node_id=node_id,
                field="parentId",
            )
    effective = loop_parents(parents, types)
    for edge in edges:
        yield from _check_edge(edge, effective, types)


def _check_edge(
    edge: EdgeRef, parents: Mapping[str, str | None], types: Mapping[str, str | None]
) -> Iterator[ValidationIssue]:
    source, target = edge.source, edge.target
    from_loop = types.get(source) == FOR_EACH
    if from_loop and edge.handle == ITEM_HANDLE:
        if parents.get(target) != source:
            yield ValidationIssue(
                code=E.E_LOOP_HANDLE,
                message=f"{E.MESSAGES[E.E_LOOP_HANDLE]} Put {target!r} inside the group "
                f"{source!r}, or connect it to 'done'.",
                edge_id=edge.id,
                node_id=source,
                field="target",
            )
        return
    if from_loop and source in enclosing_loops(target, parents):
        handle = edge.handle or DONE_HANDLE
        yield ValidationIssue(
            code=E.E_LOOP_HANDLE,
            message=f"{E.MESSAGES[E.E_LOOP_HANDLE]} {handle!r} runs after the loop: connect "
            f"{target!r} to 'item', or move it out of the group.",
            edge_id=edge.id,
            node_id=source,
            field="sourceHandle",
        )
        return
    if parents.get(source) != parents.get(target):

        def place(node: str) -> str:
            parent = parents.get(node)
            return f"in group {parent!r}" if parent else "outside any group"

        yield ValidationIssue(
            code=E.E_LOOP_BOUNDARY,
            message=f"{E.MESSAGES[E.E_LOOP_BOUNDARY]} {source!r} is {place(source)}, {target!r} "
            f"is {place(target)}: a group is entered only from its for-each's 'item' and left "
            f"only through its '{DONE_HANDLE}' or '{ERROR_HANDLE}'.",
            edge_id=edge.id,
            node_id=target,
        )
