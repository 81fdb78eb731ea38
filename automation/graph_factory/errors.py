"""Validation error codes (stable: the builder and the tests match on them) and the issue type."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

E_MALFORMED = "graph.E000"  # not a definition: wrong shape or types at the top level
E_CYCLE = "graph.E001"
E_UNKNOWN_NODE_TYPE = "graph.E002"
E_INVALID_CONFIG = "graph.E003"
E_EDGE_MISSING_NODE = "graph.E004"
E_UNKNOWN_HANDLE = "graph.E005"
E_UNREACHABLE = "graph.E006"
E_EXPRESSION_NOT_UPSTREAM = "graph.E007"
E_MULTIPLE_TRIGGERS = "graph.E008"
E_NO_TRIGGER = "graph.E009"
E_DUPLICATE_ID = "graph.E010"
E_EXPRESSION_SYNTAX = "graph.E011"
E_EXPRESSION_UNKNOWN_NAME = "graph.E012"
E_TRIGGER_HAS_INPUT = "graph.E013"
E_INVALID_NODE = "graph.E014"  # a node or edge entry of the wrong shape
E_SELF_LOOP = "graph.E015"
E_DUPLICATE_EDGE = "graph.E016"  # two edges make the same connection (source, handle, target)
E_ERROR_EDGE_NOT_BRANCH = "graph.E017"  # an edge leaves "error" but the node's on_error != branch
# For-each groups (a node's parentId puts it in the body of a for_each node):
E_LOOP_PARENT = "graph.E018"  # parentId names a node that is not a for_each (or parents loop)
E_LOOP_BOUNDARY = "graph.E019"  # an edge enters a body other than by "item", or leaves a body
E_LOOP_HANDLE = "graph.E020"  # an "item" edge leads outside the body, a "done"/"error" one in
E_TRIGGER_IN_LOOP = "graph.E021"  # the trigger is inside a for-each
E_LOOP_NAME_OUTSIDE = "graph.E022"  # `item` or `index` used outside a for-each body

MESSAGES = {
    E_MALFORMED: "The definition is not a React Flow workflow definition.",
    E_CYCLE: "The workflow has a cycle.",
    E_UNKNOWN_NODE_TYPE: "Unknown node type.",
    E_INVALID_CONFIG: "Invalid node configuration.",
    E_EDGE_MISSING_NODE: "The edge connects a node that does not exist.",
    E_UNKNOWN_HANDLE: "The edge leaves from a handle the node does not have.",
    E_UNREACHABLE: "The node cannot be reached from the trigger.",
    E_EXPRESSION_NOT_UPSTREAM: "The expression refers to a node that is not upstream.",
    E_MULTIPLE_TRIGGERS: "A workflow has exactly one trigger; this one has more.",
    E_NO_TRIGGER: "The workflow has no trigger node.",
    E_DUPLICATE_ID: "Two nodes or edges share an id.",
    E_EXPRESSION_SYNTAX: "The expression is not valid.",
    E_EXPRESSION_UNKNOWN_NAME: "The expression uses a name that does not exist.",
    E_TRIGGER_HAS_INPUT: "The trigger cannot have incoming edges.",
    E_INVALID_NODE: "The node or edge is not well formed.",
    E_SELF_LOOP: "The edge connects a node to itself.",
    E_DUPLICATE_EDGE: "Two edges make the same connection.",
    E_ERROR_EDGE_NOT_BRANCH: "An 'error' edge needs the node's on_error to be branch.",
    E_LOOP_PARENT: "A node can only be inside a for-each group.",
    E_LOOP_BOUNDARY: "An edge crosses the boundary of a for-each group.",
    E_LOOP_HANDLE: "A for-each's 'item' edges stay inside its group; 'done' and 'error' leave it.",
    E_TRIGGER_IN_LOOP: "The trigger cannot be inside a for-each group.",
    E_LOOP_NAME_OUTSIDE: "'item' and 'index' exist only inside a for-each group.",
}


class ValidationIssue(BaseModel):
    """One validation error: a stable code, a message, and where (node, edge, field)."""

    code: str
    message: str
    node_id: str | None = None
    edge_id: str | None = None
    field: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)

    def __str__(self) -> str:
        where = ", ".join(
            f"{key}={value}"
            for key, value in (
                ("node", self.node_id),
                ("edge", self.edge_id),
                ("field", self.field),
            )
            if value
        )
        return f"{self.code} {self.message}" + (f" ({where})" if where else "")
