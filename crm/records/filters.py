"""Record filters: the shared operator names as ORM JSON lookups (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Q, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Left, Length, Right
from django.db.models.lookups import Exact

FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")
OPERATORS = frozenset(
    {
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
    }
)
_ORDERING = {">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}


def check_field_name(field: str) -> str:
    """Return the field name, or raise ValueError when it is not a safe identifier."""
    # "__" would read as an ORM lookup or key path (e.g. "amount__gt"), so it is refused too.
    if not isinstance(field, str) or not FIELD_NAME.match(field) or "__" in field:
        raise ValueError(
            f"invalid field name {field!r}: use letters, digits and single underscores, "
            "starting with a letter or underscore (at most 100 characters)"
        )
    return field


def _key(field: str, lookup: str = "") -> str:
    return f"data__{field}" + (f"__{lookup}" if lookup else "")


def _missing_or_null(field: str) -> Q:
    return Q(**{_key(field, "isnull"): True}) | Q(**{_key(field): None})


def _is_empty(field: str) -> Q:
    return _missing_or_null(field) | Q(**{_key(field): ""})


def _affix(field: str, value: Any, at_start: bool) -> Q:
    """Case-sensitive prefix/suffix match (LIKE is case-insensitive on SQLite, so no LIKE)."""
    text = str(value)
    cut = Left if at_start else Right
    part = cut(KeyTextTransform(field, "data"), Length(Value(text)))
    return Q(Exact(part, Value(text)))


def filter_q(field: str, operator: str, value: Any = None) -> Q:
    """A Q object selecting records whose `data[field]` satisfies `operator value`."""
    check_field_name(field)
    if operator not in OPERATORS:
        raise ValueError(
            f"unknown operator {operator!r}; expected one of {', '.join(sorted(OPERATORS))}"
        )
    if operator == "is_empty":
        return _is_empty(field)
    if operator == "is_not_empty":
        return ~_is_empty(field)
    if operator == "==":
        return _missing_or_null(field) if value is None else Q(**{_key(field): value})
    if operator == "!=":
        if value is None:
            return ~_missing_or_null(field)
        return ~Q(**{_key(field): value}) | _missing_or_null(field)
    if value is None:
        raise ValueError(f"operator {operator!r} needs a value")
    if operator in _ORDERING:
        return Q(**{_key(field, _ORDERING[operator]): value})
    if operator == "contains":
        return Q(**{_key(field, "icontains"): str(value)})
    if operator == "not_contains":
        return ~Q(**{_key(field, "icontains"): str(value)}) | _missing_or_null(field)
    return _affix(field, value, at_start=operator == "starts_with")
