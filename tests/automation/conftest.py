"""Fixtures for graph-factory runs: definitions built in code, validated for real."""

from __future__ import annotations

from typing import Any

import pytest

from automation.graph_factory.validate import validate_definition


def node(node_id: str, node_type: str, config: dict[str, Any] | None = None, label: str = ""):
    return {
        "id": node_id,
        "type": node_type,
        "position": {"x": 0, "y": 0},
        "data": {"label": label or node_id, "config": config or {}},
    }


def edge(source: str, target: str, handle: str | None = None) -> dict[str, Any]:
    item = {"id": f"{source}-{handle or 'out'}-{target}", "source": source, "target": target}
    if handle:
        item["sourceHandle"] = handle
    return item


def graph_of(definition: dict[str, Any]):
    report = validate_definition(definition)
    assert report.ok, [str(issue) for issue in report.errors]
    return report.graph


@pytest.fixture
def editor(tenant, make_user):
    return make_user(tenant, "editor")
