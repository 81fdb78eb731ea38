"""Which AI call failures are retried, how long to wait, and safe error text."""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .ai_loop import ChatResponse


@dataclass(frozen=True)
class Retryable:
    """A failure worth another attempt: 429, 5xx, a timeout or a broken connection."""

    reason: str
    error_type: str
    retry_after_s: float | None = None


def retry_after_s(headers: Mapping[str, str]) -> float | None:
    """Seconds from `retry-after-ms`, or `Retry-After` (seconds or an HTTP date)."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(float(millis) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def backoff_s(attempt: int, *, base_s: float, max_s: float, retry_after: float | None) -> float:
    """Exponential backoff with jitter (50–100 %), never shorter than Retry-After."""
    delay = min(max_s, base_s * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
    return max(delay, retry_after) if retry_after is not None else delay


def short_reason(response: ChatResponse, secret: str = "") -> str:
    """`HTTP <status>` and the first words of the provider's error message (key removed)."""
    message = ""
    try:
        error = json.loads(response.content).get("error")
        message = error.get("message", "") if isinstance(error, dict) else str(error or "")
    except (ValueError, AttributeError):
        pass
    message = redact(" ".join(str(message).split())[:120], secret)
    return f"HTTP {response.status_code}" + (f": {message}" if message else "")


def redact(text: str, secret: str) -> str:
    """`text` with any occurrence of `secret` masked."""
    return text.replace(secret, "***") if secret else text
