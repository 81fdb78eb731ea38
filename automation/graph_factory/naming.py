"""Names that read well in the Dagster UI and satisfy its rules (^[A-Za-z0-9_]+$)."""

from __future__ import annotations

import re

_INVALID = re.compile(r"[^A-Za-z0-9_]+")


def dagster_name(text: str, *, fallback: str = "unnamed", max_length: int = 120) -> str:
    """Lower-case snake form of `text` usable as a Dagster job or op name."""
    name = _INVALID.sub("_", text.strip().lower()).strip("_")[:max_length].strip("_")
    if not name:
        name = fallback
    if name[0].isdigit():
        name = f"n_{name}"
    return name


def job_name(tenant_slug: str, workflow_name: str) -> str:
    """The Dagster job of a workflow: `<tenant>__<workflow name>`."""
    return f"{dagster_name(tenant_slug)}__{dagster_name(workflow_name, fallback='workflow')}"


def op_names(node_ids: list[str]) -> dict[str, str]:
    """A unique op name per node id, stable for a given list of ids."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for node_id in node_ids:
        base = dagster_name(node_id, fallback="node")
        name, suffix = base, 2
        while name in used:
            name, suffix = f"{base}_{suffix}", suffix + 1
        used.add(name)
        names[node_id] = name
    return names
