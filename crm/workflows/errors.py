"""Errors raised by workflow services."""

from __future__ import annotations

from typing import Any


class WorkflowValidationError(Exception):
    """The definition failed publish-time validation; `errors` are the issues as dicts."""

    code = "workflows.E001"

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        summary = "; ".join(f"{e.get('code')} {e.get('message')}" for e in errors[:5])
        super().__init__(f"The workflow definition is invalid: {summary}")


class VersionImmutable(Exception):
    """A published WorkflowVersion cannot be changed."""

    code = "workflows.E002"

    def __init__(self) -> None:
        super().__init__("A published workflow version is immutable; publish a new version.")


class InvalidFailureHandler(ValueError):
    """A failure handler must be another workflow of the same tenant."""

    code = "workflows.E003"
