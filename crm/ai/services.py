"""Writes of AI token usage and allowed models."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.db.models import F

from crm.db_bulk import insert_many

from .models import AIAllowedModel, AIMonthlyUsage, AIUsage
from .selectors import month_start


@dataclass(frozen=True)
class UsageEntry:
    """One call's usage, as the AI resource collects it before writing."""

    tenant_id: int
    workflow_id: str
    execution_id: str
    node_id: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    attempts: int
    created_at: datetime


@transaction.atomic
def ai_usage_record_many(*, entries: Iterable[UsageEntry]) -> int:
    """Store usage rows, and add their tokens to their tenants' monthly totals, in one
    transaction; returns how many rows were written."""
    rows = [
        AIUsage(
            tenant_id=e.tenant_id,
            workflow_id=e.workflow_id[:64],
            execution_id=e.execution_id[:64],
            node_id=e.node_id[:255],
            model=e.model[:200],
            prompt_tokens=e.prompt_tokens,
            completion_tokens=e.completion_tokens,
            total_tokens=e.prompt_tokens + e.completion_tokens,
            attempts=e.attempts,
            created_at=e.created_at,
        )
        for e in entries
    ]
    insert_many(rows)
    months: Counter[tuple[int, date]] = Counter()
    for row in rows:
        months[(row.tenant_id, month_start(row.created_at).date())] += row.total_tokens
    for (tenant_id, month), tokens in sorted(months.items()):
        _add_to_month(tenant_id, month, tokens)
    return len(rows)


def _add_to_month(tenant_id: int, month: date, tokens: int) -> None:
    """Add `tokens` to the month's total (its row is created by the first write)."""
    month_row = AIMonthlyUsage.objects.filter(tenant_id=tenant_id, month=month)
    if month_row.update(total_tokens=F("total_tokens") + tokens):
        return
    try:
        with transaction.atomic():
            AIMonthlyUsage.objects.create(tenant_id=tenant_id, month=month, total_tokens=tokens)
    except IntegrityError:  # a concurrent write created it meanwhile
        month_row.update(total_tokens=F("total_tokens") + tokens)


@transaction.atomic
def ai_allowed_models_set(*, tenant_id: int, names: Iterable[str]) -> None:
    """Replace the models nodes of the tenant may ask for (empty: every model)."""
    AIAllowedModel.objects.filter(tenant_id=tenant_id).delete()
    AIAllowedModel.objects.bulk_create(
        [AIAllowedModel(tenant_id=tenant_id, name=name) for name in sorted(set(names))]
    )
