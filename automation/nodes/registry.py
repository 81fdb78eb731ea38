"""The explicit list of node types; everything that needs node types asks here."""

from __future__ import annotations

from typing import Any

from . import ai, approval, http, human, logic, loops, records, trigger
from .base import ERROR_HANDLE, NodeSettings, NodeType

_MODULES = (trigger, ai, records, logic, loops, http, human, approval)

NODE_TYPES: dict[str, NodeType] = {}
for _module in _MODULES:
    for _node_type in _module.NODE_TYPES:
        if _node_type.name in NODE_TYPES:
            raise RuntimeError(f"node type {_node_type.name!r} declared twice")
        NODE_TYPES[_node_type.name] = _node_type

CATEGORIES = {
    "triggers": "Triggers",
    "ai": "AI",
    "records": "Records",
    "logic": "Logic and control flow",
    "integration": "External integration",
    "human": "Human interaction",
}


def get_node_type(name: str) -> NodeType | None:
    """The declaration of a node type, or None when unknown."""
    return NODE_TYPES.get(name)


def catalogue() -> dict[str, Any]:
    """The node catalogue: categories, every node type's entry (config JSON Schema etc.) and
    the JSON Schema of the settings every node has (`data.settings`: on_error, retry)."""
    return {
        "categories": [{"id": key, "label": label} for key, label in CATEGORIES.items()],
        "node_types": [node_type.catalogue_entry() for node_type in NODE_TYPES.values()],
        "node_settings_schema": NodeSettings.model_json_schema(),
        "error_handle": ERROR_HANDLE,
    }
