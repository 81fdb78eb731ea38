"""Publish-time validation of a 2,000-node definition (target: under a second).

Usage: .venv/bin/python bench/validate_large.py [--nodes 2000] [--repeats 5]
The definition is layered like a large real drawing: record finds, conditions with true/false
branches, merges, updates and notifications, each reading upstream outputs in expressions, in
shuffled order. Figures: nodes, edges, validate_s (median of the repeats), plus min and max.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._env import write_results  # noqa: E402


def _node(node_id: str, node_type: str, config: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": node_id,
        "type": node_type,
        "position": {"x": 0, "y": 0},
        "data": {"label": node_id.replace("_", " "), "config": config},
    }


def large_definition(size: int, seed: int = 7) -> dict[str, Any]:
    """A connected, acyclic definition of `size` nodes with branches, merges and expressions."""
    rng = random.Random(seed)
    nodes = [_node("start", "trigger", {"sample_payload": {"min_amount": 1000}})]
    edges: list[dict[str, Any]] = []
    # (node id, handle) pairs a later node may hang from; all of them reachable from start.
    outlets: list[tuple[str, str | None]] = [("start", None)]
    finds: list[str] = []
    upstream_find: dict[str, str] = {}  # node id -> a record_find upstream of it (or itself)

    def connect(source: tuple[str, str | None], target: str) -> None:
        edge = {"id": f"e{len(edges)}", "source": source[0], "target": target}
        if source[1] is not None:
            edge["sourceHandle"] = source[1]
        edges.append(edge)

    while len(nodes) < size:
        number = len(nodes)
        kind = rng.choice(["find", "condition", "notify", "update", "merge"])
        parent = outlets[rng.randrange(max(0, len(outlets) - 50), len(outlets))]
        if kind == "find" or not finds:
            node_id = f"find_{number}"
            nodes.append(
                _node(
                    node_id,
                    "record_find",
                    {
                        "pipeline": "deals",
                        "filters": [
                            {
                                "field": "amount",
                                "operator": ">=",
                                "value": "{{ trigger.min_amount }}",
                            }
                        ],
                        "limit": 10,
                    },
                )
            )
            finds.append(node_id)
            upstream_find[node_id] = node_id
            connect(parent, node_id)
            outlets.append((node_id, None))
            continue
        ref = upstream_find.get(parent[0], "start")
        expression = (
            "{{ trigger.min_amount }}" if ref == "start" else f"{{{{ nodes.{ref}.count }}}}"
        )
        node_id = f"{kind}_{number}"
        if ref != "start":
            upstream_find[node_id] = ref
        if kind == "condition":
            nodes.append(
                _node(
                    node_id,
                    "condition",
                    {"rules": [{"left": expression, "operator": ">", "right": 0}]},
                )
            )
            connect(parent, node_id)
            outlets += [(node_id, "true"), (node_id, "false")]
        elif kind == "update" and ref != "start":
            nodes.append(
                _node(
                    node_id,
                    "record_update",
                    {
                        "pipeline": "deals",
                        "record_id": f"{{{{ nodes.{ref}.records[0].id }}}}",
                        "data": {"stage": "qualified"},
                    },
                )
            )
            connect(parent, node_id)
            outlets.append((node_id, None))
        else:
            nodes.append(
                _node(
                    node_id,
                    "task_notify",
                    {
                        "title": f"Seen {expression} deals",
                        "assign_to_role": "editor",
                    },
                )
            )
            connect(parent, node_id)
            if kind == "merge":  # a second incoming edge: where branches meet
                other = outlets[rng.randrange(len(outlets) - 1)]
                if other[0] != parent[0]:
                    connect(other, node_id)
            outlets.append((node_id, None))
    rng.shuffle(nodes)
    rng.shuffle(edges)
    return {"nodes": nodes, "edges": edges, "viewport": {"x": 0, "y": 0, "zoom": 1}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    from automation.graph_factory import expressions
    from automation.graph_factory.validate import validate_definition

    definition = large_definition(args.nodes)
    timings = []
    for _ in range(args.repeats):
        expressions.inspect_template.cache_clear()  # each repeat parses every expression anew
        started = time.perf_counter()
        report = validate_definition(definition)
        timings.append(time.perf_counter() - started)
        if not report.ok:
            raise SystemExit(f"the generated definition is invalid: {report.errors[:3]}")
    write_results(
        "validate_large",
        {
            "nodes": len(definition["nodes"]),
            "edges": len(definition["edges"]),
            "validate_s": round(statistics.median(timings), 3),
            "min_s": round(min(timings), 3),
            "max_s": round(max(timings), 3),
            "repeats": args.repeats,
            "target_s": 1.0,
        },
    )


if __name__ == "__main__":
    main()
