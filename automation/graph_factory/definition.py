"""Pydantic models of the React Flow JSON the builder saves (extra React Flow keys are ignored)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

MAX_ID_LENGTH = 200


class _FlowModel(BaseModel):
    """React Flow adds keys of its own (width, selected, measured, ...): allowed and ignored."""

    model_config = ConfigDict(extra="ignore")


class Position(_FlowModel):
    x: float
    y: float


class NodeData(_FlowModel):
    label: str | None = Field(default=None, max_length=500)
    config: dict[str, Any] = Field(default_factory=dict)
    # Settings every node has (automation.nodes.base.NodeSettings): on_error, retry.
    settings: dict[str, Any] = Field(default_factory=dict)


class DefinitionNode(_FlowModel):
    id: str = Field(min_length=1, max_length=MAX_ID_LENGTH)
    type: str = Field(min_length=1, max_length=100)
    position: Position | None = None
    data: NodeData = Field(default_factory=NodeData)
    parentId: str | None = Field(default=None, max_length=MAX_ID_LENGTH)  # noqa: N815


class DefinitionEdge(_FlowModel):
    id: str = Field(min_length=1, max_length=MAX_ID_LENGTH)
    source: str = Field(min_length=1, max_length=MAX_ID_LENGTH)
    target: str = Field(min_length=1, max_length=MAX_ID_LENGTH)
    sourceHandle: str | None = None  # noqa: N815
    targetHandle: str | None = None  # noqa: N815


class Definition(_FlowModel):
    """A whole saved workflow definition."""

    nodes: list[DefinitionNode]
    edges: list[DefinitionEdge] = Field(default_factory=list)
    viewport: dict[str, Any] | None = None
