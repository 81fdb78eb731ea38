"""Field paths for issues: from pydantic error locations and through nested config values."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from pydantic import ValidationError

MAX_WALK_ITEMS = 200_000


def loc_path(loc: Sequence[int | str], data: Any, prefix: str = "") -> str:
    """Dot path of a pydantic `loc`, without union member tags such as 'int' or 'constrained-str'.

    A location step is a union tag when the value at that point is not a container.
    """
    parts = [prefix] if prefix else []
    current = data
    for step in loc:
        if isinstance(current, dict):
            current = current.get(step)
        elif isinstance(current, list) and isinstance(step, int):
            current = current[step] if -len(current) <= step < len(current) else None
        elif isinstance(step, str):
            break  # a union tag below a scalar value
        parts.append(str(step))
    return ".".join(parts)


def pydantic_issues(error: ValidationError, data: Any, prefix: str = "") -> list[tuple[str, str]]:
    """(field path, message) per failing field; union alternatives are merged into one message."""
    merged: dict[str, list[str]] = {}
    for detail in error.errors(include_url=False):
        path = loc_path(detail.get("loc", ()), data, prefix)
        messages = merged.setdefault(path, [])
        if detail["msg"] not in messages:
            messages.append(detail["msg"])
    return [(path, "; or ".join(messages)) for path, messages in merged.items()]


def iter_strings(value: Any, prefix: str) -> Iterator[tuple[str, str]]:
    """(path, string) for every string inside nested dicts/lists, without recursion."""
    stack: list[tuple[str, Any]] = [(prefix, value)]
    seen = 0
    while stack and seen < MAX_WALK_ITEMS:
        path, current = stack.pop()
        seen += 1
        if isinstance(current, str):
            yield path, current
        elif isinstance(current, dict):
            stack.extend((f"{path}.{key}", item) for key, item in reversed(current.items()))
        elif isinstance(current, list):
            items = list(enumerate(current))
            stack.extend((f"{path}.{number}", item) for number, item in reversed(items))
