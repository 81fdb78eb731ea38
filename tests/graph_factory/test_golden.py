"""Golden definitions: every valid fixture builds a graph, every invalid one yields its codes.

An expected error matches an actual one on its code and on each of node_id, edge_id and field
it gives. Every actual error's code must be among the expected codes (no surprise cascades).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from automation.graph_factory.errors import MESSAGES, ValidationIssue
from automation.graph_factory.validate import validate_definition

FIXTURES = Path(__file__).parent / "fixtures"
VALID = sorted((FIXTURES / "valid").glob("*.json"))
INVALID = sorted((FIXTURES / "invalid").glob("*.json"))


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def _matches(expected: dict[str, str], issue: ValidationIssue) -> bool:
    return all(getattr(issue, key) == value for key, value in expected.items())


@pytest.mark.parametrize("path", VALID, ids=lambda path: path.stem)
def test_valid_fixture(path: Path) -> None:
    fixture = _load(path)
    assert fixture["expect"] == {"ok": True}
    report = validate_definition(fixture["definition"])
    assert report.errors == []
    assert report.ok and report.graph is not None
    graph = report.graph
    order = list(graph.nodes)
    assert order[0] == graph.trigger_id
    assert {node["id"] for node in fixture["definition"]["nodes"]} == set(order)
    position = {node_id: number for number, node_id in enumerate(order)}
    for edge in graph.edges:
        assert position[edge.source] < position[edge.target]
        assert edge.source_handle in graph.nodes[edge.source].handles


@pytest.mark.parametrize("path", INVALID, ids=lambda path: path.stem)
def test_invalid_fixture(path: Path) -> None:
    fixture = _load(path)
    report = validate_definition(fixture["definition"])
    assert not report.ok and report.graph is None
    remaining = list(report.errors)
    for expected in fixture["expect"]["errors"]:
        match = next((issue for issue in remaining if _matches(expected, issue)), None)
        assert match is not None, f"{expected} not in {[str(i) for i in report.errors]}"
        remaining.remove(match)
    expected_codes = {expected["code"] for expected in fixture["expect"]["errors"]}
    assert {issue.code for issue in report.errors} <= expected_codes, [
        str(issue) for issue in report.errors
    ]


def test_every_rule_has_an_invalid_fixture() -> None:
    covered = {expected["code"] for path in INVALID for expected in _load(path)["expect"]["errors"]}
    assert covered == set(MESSAGES)


def test_graph_of_branching_fixture() -> None:
    report = validate_definition(_load(FIXTURES / "valid" / "branch_and_merge.json")["definition"])
    assert report.graph is not None
    graph = report.graph
    assert [edge.source_handle for edge in graph.outgoing("cond")] == ["true", "false"]
    assert {edge.source for edge in graph.incoming("hook")} == {"update", "notify"}
    assert graph.nodes["trigger"].label == "Deal changed"
    assert graph.nodes["cond"].label == "Condition (If/Else)"
    assert graph.nodes["find"].raw_config["limit"] == 10
    assert graph.ancestors("hook") == {"trigger", "find", "cond", "update", "notify"}
