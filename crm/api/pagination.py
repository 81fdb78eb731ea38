"""Limit/offset pages: {"items", "count", "limit", "offset"}."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from ninja import Field, Schema

DEFAULT_LIMIT = 50
MAX_LIMIT: int = getattr(settings, "API_PAGE_MAX_LIMIT", 500)
MAX_OFFSET = 2**31 - 1  # larger offsets overflow the database's integers (a 500, not a page)


class PageParams(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class PageOut(Schema):
    """A page's metadata; subclasses add `items`."""

    count: int
    limit: int
    offset: int


def page(queryset: QuerySet, params: PageParams, present: Callable[[Any], Any]) -> dict[str, Any]:
    """One page of the queryset, each object presented, with the total count."""
    items = queryset[params.offset : params.offset + params.limit]
    return {
        "items": [present(item) for item in items],
        "count": queryset.count(),
        "limit": params.limit,
        "offset": params.offset,
    }
