"""The settings every node has (`data.settings`): reading them, and the handles they add.

Handle rules: a node's output handles are its type's handles, plus "error" when its
`on_error` is "branch". With "continue", a failed node goes on along its first handle
("out" for most types, "true" for a condition) with the error object as its output.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from automation.nodes.base import ERROR_HANDLE, NodeSettings

from .paths import pydantic_issues


def read_settings(raw: Any) -> tuple[NodeSettings | None, list[tuple[str, str]]]:
    """The node's settings, or None and (field path, message) per problem."""
    try:
        return NodeSettings.model_validate(raw if raw is not None else {}), []
    except ValidationError as exc:
        return None, pydantic_issues(exc, raw, "settings")


def handles_with_settings(handles: tuple[str, ...], settings: NodeSettings) -> tuple[str, ...]:
    """Output handles of a node with these settings (the error handle is added for branch)."""
    if settings.on_error == "branch":
        return (*handles, ERROR_HANDLE)
    return handles


def success_handles(handles: tuple[str, ...], settings: NodeSettings | None) -> tuple[str, ...]:
    """The handles a node takes when it succeeds (an edge without a handle leaves one of them)."""
    if settings is not None and settings.on_error == "branch":
        return handles[:-1]
    return handles


def error_handle_clash(handles: tuple[str, ...], settings: NodeSettings) -> str | None:
    """A message when on_error=branch cannot add the error handle (the type already has one)."""
    if settings.on_error == "branch" and ERROR_HANDLE in handles:
        return f"this node already has an output named {ERROR_HANDLE!r}; on_error cannot be branch"
    return None


def continue_handle(handles: tuple[str, ...]) -> str:
    """The handle a failed node goes on along with on_error=continue: its first one."""
    return handles[0]
