"""validate_definition never raises: random JSON, mutated valid definitions, huge and deep input.

Every error names a node or an edge (or, for an unidentifiable entry, its "nodes.N"/"edges.N"
path), except E000 (not a definition) and E009 (no trigger), which are about the whole.
"""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from automation.graph_factory.errors import E_MALFORMED, E_NO_TRIGGER
from automation.graph_factory.validate import ValidationReport, validate_definition

VALID = [
    json.loads(path.read_text())["definition"]
    for path in sorted((Path(__file__).parent / "fixtures" / "valid").glob("*.json"))
]
NODE_TYPES = ["trigger", "record_find", "condition", "task_notify", "webhook_out", "nope", ""]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["{{ nodes.x.y }}", "{{ trigger", "{% for %}", "true", "out", "trigger"]),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.text(max_size=10) | st.sampled_from(["id", "type", "data"]), children, max_size=5
        )
    ),
    max_leaves=30,
)


def assert_well_formed(report: ValidationReport) -> None:
    assert isinstance(report, ValidationReport)
    assert report.ok == (not report.errors)
    assert (report.graph is not None) == report.ok
    for issue in report.errors:
        named = (
            issue.node_id or issue.edge_id or (issue.field or "").startswith(("nodes.", "edges."))
        )
        assert named or issue.code in (E_MALFORMED, E_NO_TRIGGER), issue


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_random_json_never_raises(value: Any) -> None:
    assert_well_formed(validate_definition(value))


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["nodes", "edges", "viewport"]), json_values, min_size=1))
def test_random_top_level_objects_never_raise(value: Any) -> None:
    assert_well_formed(validate_definition(value))


@st.composite
def mutated_definitions(draw: st.DrawFn) -> Any:
    definition = copy.deepcopy(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["nodes", "edges"]))
        entries = definition[kind]
        if not entries:
            continue
        target = draw(st.sampled_from(entries)) if draw(st.booleans()) else None
        action = draw(st.sampled_from(["set", "delete", "append", "replace", "type", "link"]))
        if target is None or action == "append":
            entries.append(draw(json_values))
        elif not isinstance(target, dict):
            continue
        elif action == "set":
            key = draw(
                st.sampled_from(
                    [
                        "id",
                        "type",
                        "data",
                        "source",
                        "target",
                        "sourceHandle",
                        "parentId",
                        "position",
                    ]
                )
            )
            target[key] = draw(json_values)
        elif action == "delete" and target:
            target.pop(draw(st.sampled_from(sorted(target))), None)
        elif action == "replace":
            entries[entries.index(target)] = draw(json_values)
        elif action == "type" and kind == "nodes":
            target["type"] = draw(st.sampled_from(NODE_TYPES))
        elif action == "link" and kind == "edges":
            ids = [n.get("id") for n in definition["nodes"] if isinstance(n, dict)]
            target["source"] = draw(st.sampled_from(ids + ["ghost"]))
            target["target"] = draw(st.sampled_from(ids + ["ghost"]))
            target["sourceHandle"] = draw(st.sampled_from([None, "out", "true", "false", "x"]))
    return definition


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_definitions())
def test_mutated_definitions_never_raise(definition: Any) -> None:
    assert_well_formed(validate_definition(definition))


def test_deep_and_huge_values_never_raise() -> None:
    deep: Any = "{{ trigger.x }}"
    for _ in range(50_000):
        deep = [deep]
    definition = copy.deepcopy(VALID[0])
    definition["nodes"][1]["data"]["config"]["deep"] = deep
    definition["nodes"][2]["data"]["config"]["rules"][0]["left"] = "{{ " + "(" * 20000 + " }}"
    definition["nodes"][0]["data"]["label"] = "x" * 1_000_000
    assert_well_formed(validate_definition(definition))
    assert_well_formed(validate_definition({"nodes": [deep], "edges": deep}))
    assert_well_formed(validate_definition({"nodes": [{}] * 100_000}))


def chain(length: int) -> dict[str, Any]:
    nodes = [{"id": "n0", "type": "trigger", "position": {"x": 0, "y": 0}, "data": {}}]
    edges = []
    for number in range(1, length):
        config = {
            "title": f"Step {number}: {{{{ nodes.n{number - 1} }}}} {{{{ nodes.n0 }}}}",
            "assign_to_role": "editor",
        }
        nodes.append(
            {
                "id": f"n{number}",
                "type": "task_notify",
                "position": {"x": number, "y": 0},
                "data": {"config": config},
            }
        )
        edges.append({"id": f"e{number}", "source": f"n{number - 1}", "target": f"n{number}"})
    nodes.reverse()  # definition order is not the topological order
    return {"nodes": nodes, "edges": edges}


def test_two_thousand_node_chain_validates() -> None:
    definition = chain(2000)
    started = time.perf_counter()
    report = validate_definition(definition)
    elapsed = time.perf_counter() - started
    print(f"2,000-node chain validated in {elapsed * 1000:.0f} ms")
    assert report.ok, report.errors[:3]
    assert report.graph is not None
    assert list(report.graph.nodes)[:3] == ["n0", "n1", "n2"]


def test_two_thousand_node_cycle_is_found_without_recursion() -> None:
    definition = chain(2000)
    definition["edges"].append({"id": "back", "source": "n1999", "target": "n1"})
    started = time.perf_counter()
    report = validate_definition(definition)
    print(f"2,000-node cycle found in {(time.perf_counter() - started) * 1000:.0f} ms")
    assert {issue.code for issue in report.errors} == {"graph.E001"}
    assert len(report.errors) == 1999
