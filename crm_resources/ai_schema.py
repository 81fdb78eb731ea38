"""JSON Schema checks for AI answers and for the schemas authors give (the `jsonschema` library)."""

from __future__ import annotations

from typing import Any

import jsonschema

Validator = jsonschema.Draft202012Validator


class SchemaError(ValueError):
    """The schema itself is not one we can check answers against."""


def check_schema(schema: Any, path: str = "schema") -> None:
    """Raise SchemaError when `schema` is not a valid JSON Schema object."""
    if not isinstance(schema, dict):
        raise SchemaError(f"{path} must be an object")
    try:
        Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise SchemaError(f"{path}: {exc.message}") from None


def validation_errors(value: Any, schema: dict[str, Any], limit: int = 10) -> list[str]:
    """Why `value` does not satisfy `schema` (empty when it does), at most `limit` lines."""
    found = sorted(Validator(schema).iter_errors(value), key=lambda e: list(e.absolute_path))
    return [
        f"${''.join(f'[{p!r}]' for p in error.absolute_path)}: {error.message}"
        for error in found[:limit]
    ]
