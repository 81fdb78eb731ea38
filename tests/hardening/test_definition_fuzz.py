"""Definitions fuzzing: mutated real definitions validate to a report, and valid ones compile.

Contract: starting from every valid fixture and every demo workflow, hypothesis mutations
(missing keys, wrong types, huge and deeply nested values, cycles, duplicate ids, unicode ids and
labels, thousands of nodes) give `validate_definition` either ok or errors that each name a node
or an edge (E000 "not a definition" and E009 "no trigger" are about the whole definition); the
validator's catch-all ("could not be read") never fires, i.e. no code path raises. Whatever
validates, `compile_job` turns into a Dagster job with one op per node whose snapshot builds
(what a code location does on load).
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from automation.graph_factory.compile import compile_job
from automation.graph_factory.errors import E_MALFORMED, E_NO_TRIGGER
from automation.graph_factory.target import JobTarget
from automation.graph_factory.validate import ValidationReport, validate_definition
from automation.nodes.base import TenantRef

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "tests" / "graph_factory" / "fixtures" / "valid").glob("*.json")) + sorted(
    (ROOT / "automation" / "demo_workflows").glob("*.json")
)
REAL = {path.stem: json.loads(path.read_text())["definition"] for path in SOURCES}
CATCH_ALL = "could not be read"
TARGET = JobTarget(
    job_name="acme__fuzzed", tenant=TenantRef(id=1, slug="acme"), workflow_name="Fuzzed"
)
NODE_KEYS = ["id", "type", "data", "position", "parentId", "width", "selected"]
EDGE_KEYS = ["id", "source", "target", "sourceHandle", "targetHandle", "animated"]
# Ids a builder could save: unicode, spaces, punctuation, but no quotes, backslashes or braces
# (so that a renamed node can still be referred to as nodes['<id>'] inside an expression).
ID_ALPHABET = st.characters(exclude_categories=("Cs", "Cc"), exclude_characters="'\"\\{}%#")
unicode_ids = st.text(ID_ALPHABET, min_size=1, max_size=40).filter(lambda s: s.strip() == s)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(["{{ trigger }}", "{{ nodes.", "}}{{", "{{ ''.__class__ }}", "\x00", "🙂"])
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


def deep(depth: int, leaf: Any = "{{ trigger.x }}", kind: str = "list") -> Any:
    value = leaf
    for _ in range(depth):
        value = [value] if kind == "list" else {"k": value}
    return value


huge_values = st.sampled_from(
    [
        "x" * 1_000_000,
        "{{ " + "trigger." * 20_000 + "x }}",
        "{{ " + "(" * 3_000 + "1" + ")" * 3_000 + " }}",
        list(range(100_000)),
        {str(i): i for i in range(50_000)},
        deep(5_000),
        deep(5_000, kind="dict"),
        2**10_000,
        1e308 * 10,
    ]
)


def assert_report(report: ValidationReport) -> None:
    """Ok, or errors that each name a node or an edge; never the catch-all."""
    assert isinstance(report, ValidationReport)
    assert (report.graph is not None) == report.ok == (not report.errors)
    for issue in report.errors:
        assert CATCH_ALL not in issue.message, issue
        named = (
            issue.node_id or issue.edge_id or (issue.field or "").startswith(("nodes.", "edges."))
        )
        assert named or issue.code in (E_MALFORMED, E_NO_TRIGGER), issue


def assert_compiles(report: ValidationReport) -> None:
    assert report.graph is not None
    job = compile_job(report.graph, TARGET)
    assert len(job.graph.node_defs) == len(report.graph.nodes)
    job.get_job_snapshot()


def rename(definition: dict[str, Any], old: str, new: str) -> None:
    """Rename a node everywhere: its id, edges, parentIds and expression references."""
    name = re.escape(old)
    pattern = re.compile(rf"nodes\.{name}\b|nodes\[(['\"]){name}\1\]")
    replacement = f"nodes['{new}']"

    def fix(value: Any, depth: int = 0) -> Any:
        if depth > 100:
            return value  # a deliberately deep value: nothing to rename in there
        if isinstance(value, str):
            return pattern.sub(lambda _m: replacement, value)
        if isinstance(value, list):
            return [fix(item, depth + 1) for item in value]
        if isinstance(value, dict):
            return {key: fix(item, depth + 1) for key, item in value.items()}
        return value

    for node in definition["nodes"]:
        if node.get("id") == old:
            node["id"] = new
        if node.get("parentId") == old:
            node["parentId"] = new
        node["data"] = fix(node.get("data", {}))
    for edge in definition["edges"]:
        for end in ("source", "target"):
            if edge.get(end) == old:
                edge[end] = new


@st.composite
def valid_preserving(draw: st.DrawFn) -> dict[str, Any]:
    """A real definition with unicode ids and labels, shuffled order, React Flow extras."""
    definition = copy.deepcopy(REAL[draw(st.sampled_from(sorted(REAL)))])
    ids = [node["id"] for node in definition["nodes"]]
    new_ids = draw(st.lists(unicode_ids, min_size=len(ids), max_size=len(ids), unique=True))
    for old, new in zip(ids, new_ids, strict=True):
        if draw(st.booleans()) and new not in ids:
            rename(definition, old, new)
    for node in definition["nodes"]:
        if draw(st.booleans()):
            node.setdefault("data", {})["label"] = draw(st.text(max_size=60))
        if draw(st.booleans()):
            node.update(selected=True, width=draw(st.integers(0, 10**6)), dragging=False)
    for number, edge in enumerate(definition["edges"]):
        if draw(st.booleans()):
            edge["id"] = f"{draw(unicode_ids)}·{number}"  # still unique
    definition["nodes"] = draw(st.permutations(definition["nodes"]))
    definition["edges"] = draw(st.permutations(definition["edges"]))
    return definition


@st.composite
def broken(draw: st.DrawFn) -> dict[str, Any]:
    """A real definition with 1-5 damaging mutations."""
    definition = copy.deepcopy(REAL[draw(st.sampled_from(sorted(REAL)))])
    nodes, edges = definition["nodes"], definition["edges"]
    for _ in range(draw(st.integers(1, 5))):
        action = draw(
            st.sampled_from(
                [
                    "drop_key",
                    "wrong_type",
                    "huge",
                    "duplicate_node",
                    "duplicate_edge",
                    "back_edge",
                    "unicode_id",
                    "dangling",
                    "config_junk",
                    "many_nodes",
                    "top_level",
                ]
            )
        )
        node = draw(st.sampled_from(nodes)) if nodes else None
        edge = draw(st.sampled_from(edges)) if edges else None
        if action == "drop_key" and isinstance(node, dict):
            node.pop(draw(st.sampled_from(NODE_KEYS)), None)
        elif action == "drop_key" and isinstance(edge, dict):
            edge.pop(draw(st.sampled_from(EDGE_KEYS)), None)
        elif action == "wrong_type" and isinstance(node, dict):
            key = draw(st.sampled_from(NODE_KEYS + ["data.config", "data.settings", "data.label"]))
            holder = node.setdefault("data", {}) if key.startswith("data.") else node
            if isinstance(holder, dict):
                holder[key.removeprefix("data.")] = draw(json_values)
        elif action == "wrong_type" and isinstance(edge, dict):
            edge[draw(st.sampled_from(EDGE_KEYS))] = draw(json_values)
        elif action == "huge" and isinstance(node, dict):
            data = node.setdefault("data", {})
            if isinstance(data, dict):
                where = draw(st.sampled_from(["label", "config", "config.value", "settings"]))
                if where.startswith("config.") and isinstance(data.get("config"), dict):
                    data["config"][draw(st.sampled_from(sorted(data["config"]) or ["x"]))] = draw(
                        huge_values
                    )
                else:
                    data[where.split(".")[0]] = draw(huge_values)
        elif action == "duplicate_node" and node is not None:
            nodes.append(dict(node) if isinstance(node, dict) else node)  # shallow: may be deep
        elif action == "duplicate_edge" and edge is not None:
            twin = dict(edge) if isinstance(edge, dict) else edge
            if draw(st.booleans()) and isinstance(twin, dict):
                twin["id"] = f"{twin.get('id')}-twin"
            edges.append(twin)
        elif action == "back_edge" and len(nodes) > 1:
            a, b = draw(st.sampled_from(nodes)), draw(st.sampled_from(nodes))
            if isinstance(a, dict) and isinstance(b, dict):
                edges.append(
                    {"id": f"back{len(edges)}", "source": b.get("id"), "target": a.get("id")}
                )
                edges.append(
                    {"id": f"fwd{len(edges)}", "source": a.get("id"), "target": b.get("id")}
                )
        elif action == "unicode_id" and isinstance(node, dict) and isinstance(node.get("id"), str):
            rename(
                definition, node["id"], draw(unicode_ids | st.sampled_from(["", " ", "x" * 201]))
            )
        elif action == "dangling" and isinstance(edge, dict):
            edge[draw(st.sampled_from(["source", "target"]))] = draw(unicode_ids)
        elif action == "config_junk" and isinstance(node, dict):
            data = node.setdefault("data", {})
            if isinstance(data, dict) and isinstance(data.setdefault("config", {}), dict):
                data["config"].update(draw(st.dictionaries(st.text(max_size=10), json_values)))
        elif action == "many_nodes":
            count = draw(st.sampled_from([10, 500, 3_000]))
            start = next((n["id"] for n in nodes if isinstance(n, dict) and "id" in n), "ghost")
            for number in range(count):
                nodes.append(
                    {
                        "id": f"bulk{number}",
                        "type": "task_notify",
                        "data": {"config": {"title": f"#{number}", "assign_to_role": "editor"}},
                    }
                )
                edges.append({"id": f"bulk-e{number}", "source": start, "target": f"bulk{number}"})
        elif action == "top_level":
            key = draw(st.sampled_from(["nodes", "edges", "viewport"]))
            definition[key] = draw(json_values | st.just(deep(50_000)))
            if key != "viewport":
                break
    return definition


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(broken())
def test_broken_real_definitions_get_a_report(definition: dict[str, Any]) -> None:
    assert_report(validate_definition(definition))


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(valid_preserving())
def test_renamed_and_relabelled_definitions_validate_and_compile(definition: Any) -> None:
    report = validate_definition(definition)
    assert_report(report)
    assert report.ok, [str(issue) for issue in report.errors]
    assert_compiles(report)


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(broken())
def test_whatever_validates_compiles(definition: dict[str, Any]) -> None:
    report = validate_definition(definition)
    assert_report(report)
    if report.ok:
        assert_compiles(report)


def test_every_real_definition_validates_and_compiles() -> None:
    for name, definition in REAL.items():
        report = validate_definition(definition)
        assert report.ok, (name, [str(issue) for issue in report.errors])
        assert_compiles(report)


def test_ids_that_collide_as_op_names_compile_to_distinct_ops() -> None:
    definition = copy.deepcopy(REAL["trigger_only"])
    trigger = definition["nodes"][0]["id"]
    ids = ["a", "A", "a!", "a_2", "á", "1a", "n_1a", "ａ", "a 2", "_a_"]
    for node_id in ids:
        definition["nodes"].append(
            {
                "id": node_id,
                "type": "task_notify",
                "data": {"config": {"title": node_id, "assign_to_role": "editor"}},
            }
        )
        definition["edges"].append({"id": f"e-{node_id}", "source": trigger, "target": node_id})
    report = validate_definition(definition)
    assert report.ok, report.errors
    job = compile_job(report.graph, TARGET)
    assert len({node.name for node in job.graph.nodes}) == len(ids) + 1
    job.get_job_snapshot()


def test_a_thousand_node_fan_out_compiles() -> None:
    definition: dict[str, Any] = {
        "nodes": [{"id": "start", "type": "trigger", "data": {}}],
        "edges": [],
    }
    for number in range(1_000):
        definition["nodes"].append(
            {
                "id": f"n{number}",
                "type": "task_notify",
                "data": {"config": {"title": "{{ trigger }}", "assign_to_role": "editor"}},
            }
        )
        definition["edges"].append({"id": f"e{number}", "source": "start", "target": f"n{number}"})
    report = validate_definition(definition)
    assert report.ok
    assert_compiles(report)


def test_every_node_on_a_large_cycle_is_named() -> None:
    definition = copy.deepcopy(REAL["trigger_only"])
    trigger = definition["nodes"][0]["id"]
    ring = [f"r{number}" for number in range(3_000)]
    for node_id in ring:
        definition["nodes"].append(
            {
                "id": node_id,
                "type": "task_notify",
                "data": {"config": {"title": "t", "assign_to_role": "editor"}},
            }
        )
    definition["edges"].append({"id": "in", "source": trigger, "target": ring[0]})
    for number, node_id in enumerate(ring):
        target = ring[(number + 1) % len(ring)]
        definition["edges"].append({"id": f"c{number}", "source": node_id, "target": target})
    report = validate_definition(definition)
    assert_report(report)
    assert {issue.node_id for issue in report.errors if issue.code == "graph.E001"} == set(ring)
