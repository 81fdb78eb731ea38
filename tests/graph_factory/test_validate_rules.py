"""Validation details the golden files do not show: handle resolution, parentId, field paths."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from jinja2 import meta

from automation.graph_factory.expressions import inspect_template
from automation.graph_factory.sandbox import ENV
from automation.graph_factory.validate import validate_definition

BASE = json.loads(
    (Path(__file__).parent / "fixtures" / "valid" / "find_condition_update_notify.json").read_text()
)["definition"]


def base() -> dict[str, Any]:
    return copy.deepcopy(BASE)


def node(definition: dict[str, Any], node_id: str) -> dict[str, Any]:
    return next(entry for entry in definition["nodes"] if entry["id"] == node_id)


def test_default_handle_is_resolved() -> None:
    report = validate_definition(base())
    assert report.graph is not None
    assert report.graph.outgoing("trigger")[0].source_handle == "out"
    assert report.graph.nodes["cond"].handles == ("true", "false")


def test_parent_id_must_name_a_for_each() -> None:
    """A parentId puts a node in a for-each body; any other parent is E018 (see tests/for_each
    for bodies that validate)."""
    definition = base()
    node(definition, "notify")["parentId"] = "cond"
    (issue,) = validate_definition(definition).errors
    assert (issue.code, issue.node_id, issue.field) == ("graph.E018", "notify", "parentId")


def test_union_alternatives_merge_into_one_issue_per_field() -> None:
    definition = base()
    node(definition, "update")["data"]["config"]["record_id"] = None
    (issue,) = validate_definition(definition).errors
    assert (issue.code, issue.node_id, issue.field) == ("graph.E003", "update", "config.record_id")
    assert "valid integer" in issue.message and "; or " in issue.message


def test_unidentifiable_entries_use_absolute_paths() -> None:
    definition = base()
    definition["edges"].append({"source": "find", "target": "notify"})
    (issue,) = validate_definition(definition).errors
    assert (issue.code, issue.edge_id, issue.field) == ("graph.E014", None, "edges.4.id")


def test_unreadable_edge_does_not_cascade_into_reachability() -> None:
    definition = base()
    definition["edges"][1]["target"] = ["cond"]
    assert {issue.code for issue in validate_definition(definition).errors} == {"graph.E014"}


def test_constrained_templated_fields_accept_expressions() -> None:
    definition = base()
    node(definition, "find")["data"]["config"]["limit"] = "{{ trigger.limit }}"
    assert validate_definition(definition).ok
    node(definition, "find")["data"]["config"]["limit"] = 50000
    report = validate_definition(definition)
    assert [(i.code, i.field) for i in report.errors] == [("graph.E003", "config.limit")]


@pytest.mark.parametrize(
    "template",
    [
        "{{ trigger.x | default(y) }} and {{ nodes['a-b'].c }}",
        "{{ range(3) | map('string') | join(', ') }} {{ now() }}",
        "{{ execution.id if workflow.name is defined else z }}",
    ],
)
def test_names_match_jinja_meta(template: str) -> None:
    assert inspect_template(template).names == meta.find_undeclared_variables(ENV.parse(template))
