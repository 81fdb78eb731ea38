"""Resource limits for expression rendering: sizes, a work budget and a deadline."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from jinja2.exceptions import SecurityError

MAX_SOURCE_CHARS = 100_000  # one template's source
MAX_OUTPUT_CHARS = 1024 * 1024  # rendered text, and any single value an expression builds
MAX_WORK_UNITS = 16 * 1024 * 1024  # total size of values built during one render
MAX_RANGE_ITEMS = 10_000
MAX_POW_BITS = 100_000
RENDER_TIMEOUT_S = 2.0


class LimitExceeded(SecurityError):
    """An expression tried to build too much or ran too long."""


@dataclass
class Budget:
    """What one render may still spend."""

    deadline: float
    work: int = 0

    def charge(self, units: int) -> None:
        self.work += units
        if self.work > MAX_WORK_UNITS:
            raise LimitExceeded(f"expression builds more than {MAX_WORK_UNITS:,} characters/items")
        self.tick()

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise LimitExceeded(f"expression took longer than {RENDER_TIMEOUT_S} s")


_budget: ContextVar[Budget | None] = ContextVar("expression_budget", default=None)


@contextmanager
def render_budget() -> Iterator[Budget]:
    """Open a budget for one render (nested renders share the outer one)."""
    current = _budget.get()
    if current is not None:
        yield current
        return
    budget = Budget(deadline=time.monotonic() + RENDER_TIMEOUT_S)
    token = _budget.set(budget)
    try:
        yield budget
    finally:
        _budget.reset(token)


def charge(value: object) -> None:
    """Charge the active budget for a value just built (its shallow size)."""
    budget = _budget.get()
    if budget is None:
        return
    if isinstance(value, str | bytes | list | tuple | dict | set | frozenset):
        budget.charge(len(value))
    else:
        budget.tick()


def tick() -> None:
    budget = _budget.get()
    if budget is not None:
        budget.tick()


def weight(value: object, limit: int) -> int:
    """Deep size of a value (characters + container items), counting shared parts each time.

    Stops counting once `limit` is passed, so the cost is bounded by `limit`.
    """
    total = 0
    stack = [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, str | bytes):
            total += len(item)
        elif isinstance(item, Mapping):
            total += len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            total += len(item)
            stack.extend(item)
        else:
            total += 1
    return total


def ensure_size(size: int, what: str, limit: int = MAX_OUTPUT_CHARS) -> None:
    if size > limit:
        raise LimitExceeded(f"{what} would be larger than {limit:,} characters/items")
