"""Comparison operators shared by the condition node and record filters."""

from __future__ import annotations

from typing import Any, Literal

Operator = Literal[
    "==",
    "!=",
    ">",
    ">=",
    "<",
    "<=",
    "contains",
    "not_contains",
    "starts_with",
    "ends_with",
    "is_empty",
    "is_not_empty",
]
UNARY_OPERATORS = frozenset({"is_empty", "is_not_empty"})


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def compare(left: Any, operator: str, right: Any = None) -> bool:
    """Apply an operator; ordering between incomparable types raises ValueError."""
    if operator == "is_empty":
        return _is_empty(left)
    if operator == "is_not_empty":
        return not _is_empty(left)
    if operator == "==":
        return left == right
    if operator == "!=":
        return left != right
    if operator in (">", ">=", "<", "<="):
        try:
            if operator == ">":
                return left > right
            if operator == ">=":
                return left >= right
            if operator == "<":
                return left < right
            return left <= right
        except TypeError as exc:
            raise ValueError(
                f"cannot compare {type(left).__name__} {operator} {type(right).__name__}"
            ) from exc
    if operator == "contains":
        if isinstance(left, list | tuple):
            return right in left
        return str(right).lower() in str(left).lower()
    if operator == "not_contains":
        if isinstance(left, list | tuple):
            return right not in left
        return str(right).lower() not in str(left).lower()
    if operator == "starts_with":
        return str(left).startswith(str(right))
    if operator == "ends_with":
        return str(left).endswith(str(right))
    raise ValueError(f"unsupported operator {operator!r}")
