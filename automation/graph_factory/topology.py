"""Graph algorithms for validation, all iterative: SCCs, reachability, ancestors, topo order."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence

Adjacency = Mapping[str, Sequence[str]]


def strongly_connected(vertices: Iterable[str], succ: Adjacency) -> list[list[str]]:
    """Tarjan's SCCs without recursion, in reverse topological order (sinks first)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []

    def visit(vertex: str) -> None:
        index[vertex] = low[vertex] = len(index)
        stack.append(vertex)
        on_stack.add(vertex)

    for root in vertices:
        if root in index:
            continue
        visit(root)
        work = [(root, iter(succ.get(root, ())))]
        while work:
            vertex, children = work[-1]
            for child in children:
                if child not in index:
                    visit(child)
                    work.append((child, iter(succ.get(child, ()))))
                    break
                if child in on_stack:
                    low[vertex] = min(low[vertex], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[vertex])
                if low[vertex] == index[vertex]:
                    component: list[str] = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == vertex:
                            break
                    components.append(component)
    return components


def reachable(start: str, succ: Adjacency) -> set[str]:
    """Every vertex reachable from `start`, including it."""
    seen = {start}
    stack = [start]
    while stack:
        for child in succ.get(stack.pop(), ()):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen


def ancestor_masks(
    components: list[list[str]], pred: Adjacency, bit: Mapping[str, int]
) -> dict[str, int]:
    """Ancestors of each vertex as a bit mask (a vertex on a cycle is its own ancestor)."""
    component_of = {member: number for number, comp in enumerate(components) for member in comp}
    members = [sum(1 << bit[member] for member in comp) for comp in components]
    upstream = [0] * len(components)
    for number in range(len(components) - 1, -1, -1):  # sources first
        mask = members[number] if len(components[number]) > 1 else 0
        for member in components[number]:
            for parent in pred.get(member, ()):
                other = component_of[parent]
                if other != number:
                    mask |= upstream[other] | members[other]
        upstream[number] = mask
    return {member: upstream[component_of[member]] for member in component_of}


def topological_order(vertices: Sequence[str], succ: Adjacency) -> list[str]:
    """Kahn's order, ties broken by position in `vertices` (acyclic graphs only)."""
    position = {vertex: number for number, vertex in enumerate(vertices)}
    indegree = dict.fromkeys(vertices, 0)
    for vertex in vertices:
        for child in succ.get(vertex, ()):
            indegree[child] += 1
    ready = [position[vertex] for vertex in vertices if indegree[vertex] == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        vertex = vertices[heapq.heappop(ready)]
        order.append(vertex)
        for child in succ.get(vertex, ()):
            indegree[child] -= 1
            if indegree[child] == 0:
                heapq.heappush(ready, position[child])
    return order
