"""Reads of AI token usage and allowed models."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db.models import Sum
from django.utils import timezone

from .models import AIAllowedModel, AIMonthlyUsage, AIUsage


def month_start(now: datetime | None = None) -> datetime:
    """Midnight UTC of the first day of `now`'s month (budgets reset then)."""
    now = now or timezone.now()
    return now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def ai_tokens_used_this_month(*, tenant_id: int, now: datetime | None = None) -> int:
    """Total tokens the tenant's AI calls used since the start of the month (one row: the
    month's total, kept by ai_usage_record_many)."""
    used = (
        AIMonthlyUsage.objects.filter(tenant_id=tenant_id, month=month_start(now).date())
        .values_list("total_tokens", flat=True)
        .first()
    )
    return int(used or 0)


def ai_allowed_models(*, tenant_id: int) -> frozenset[str]:
    """Model names nodes may override to; empty means every model is allowed."""
    names = AIAllowedModel.objects.filter(tenant_id=tenant_id).values_list("name", flat=True)
    return frozenset(names)


def ai_usage_totals(*, tenant_id: int, execution_id: str | None = None) -> dict[str, int]:
    """Prompt, completion and total tokens of the tenant (optionally of one execution)."""
    rows = AIUsage.objects.filter(tenant_id=tenant_id)
    if execution_id is not None:
        rows = rows.filter(execution_id=execution_id)
    totals = rows.aggregate(
        prompt_tokens=Sum("prompt_tokens"),
        completion_tokens=Sum("completion_tokens"),
        total_tokens=Sum("total_tokens"),
    )
    return {key: int(value or 0) for key, value in totals.items()}
