"""The monthly token budget reads one running total per tenant and month, kept with every
usage write: each month counts its own calls, tenants their own, and totals written before
the running totals existed are filled in by the migration."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext

from crm.ai.models import AIMonthlyUsage, AIUsage
from crm.ai.selectors import ai_tokens_used_this_month, ai_usage_totals
from crm.ai.services import UsageEntry, ai_usage_record_many

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def entry(tenant, tokens: int, when: datetime) -> UsageEntry:
    return UsageEntry(tenant.pk, "wf", "ex", "ai_1", "m", tokens - 1, 1, 1, when)


@pytest.mark.django_db
def test_each_month_and_tenant_counts_its_own_calls(tenant, other_tenant) -> None:
    ai_usage_record_many(entries=[
        entry(tenant, 100, NOW),
        entry(tenant, 50, datetime(2026, 11, 1, 0, 0, tzinfo=UTC)),  # the month's first second
        entry(tenant, 7_000, datetime(2026, 10, 31, 23, 59, 59, tzinfo=UTC)),
        entry(other_tenant, 3_000, NOW),
    ])
    ai_usage_record_many(entries=[entry(tenant, 25, NOW)])  # a later batch adds up
    assert ai_tokens_used_this_month(tenant_id=tenant.pk, now=NOW) == 175
    assert ai_tokens_used_this_month(tenant_id=other_tenant.pk, now=NOW) == 3_000
    october, december = datetime(2026, 10, 15, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC)
    assert ai_tokens_used_this_month(tenant_id=tenant.pk, now=october) == 7_000
    assert ai_tokens_used_this_month(tenant_id=tenant.pk, now=december) == 0
    # the rows stay, one per call: totals by execution still come from them
    assert AIUsage.objects.filter(tenant=tenant).count() == 4
    assert ai_usage_totals(tenant_id=tenant.pk)["total_tokens"] == 7_175


@pytest.mark.django_db
def test_the_budget_read_is_one_row_however_many_calls(tenant) -> None:
    for _ in range(3):
        ai_usage_record_many(entries=[entry(tenant, 10, NOW)] * 500)
    with CaptureQueriesContext(connection) as queries:
        assert ai_tokens_used_this_month(tenant_id=tenant.pk, now=NOW) == 15_000
    assert len(queries) == 1
    assert "ai_aiusage" not in queries[0]["sql"].lower()


@pytest.mark.django_db(transaction=True)
def test_migration_totals_the_usage_written_before(tenant, other_tenant) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([("ai", "0001_initial")])
    try:
        old = executor.loader.project_state([("ai", "0001_initial")]).apps
        usage = old.get_model("ai", "AIUsage")
        for tenant_id, tokens, when in (
            (tenant.pk, 100, NOW), (tenant.pk, 20, datetime(2026, 11, 1, tzinfo=UTC)),
            (tenant.pk, 5, datetime(2026, 10, 31, 23, 59, tzinfo=UTC)),
            (other_tenant.pk, 9, NOW),
        ):
            usage.objects.create(tenant_id=tenant_id, model="m", prompt_tokens=tokens,
                                 completion_tokens=0, total_tokens=tokens, created_at=when)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    totals = set(AIMonthlyUsage.objects.values_list("tenant_id", "month", "total_tokens"))
    assert totals == {
        (tenant.pk, date(2026, 11, 1), 120), (tenant.pk, date(2026, 10, 1), 5),
        (other_tenant.pk, date(2026, 11, 1), 9),
    }
    assert ai_tokens_used_this_month(tenant_id=tenant.pk, now=NOW) == 120


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_lose_no_tokens(tenant) -> None:
    """Steps in threads (and processes) write usage at once; the first writes of a month race
    to create its row."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    def write(n: int) -> None:
        try:
            for _ in range(5):
                ai_usage_record_many(entries=[entry(tenant, 10 + n, NOW)] * 20)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, range(4)))
    assert ai_tokens_used_this_month(tenant_id=tenant.pk, now=NOW) == 5 * 20 * (10 + 11 + 12 + 13)
    assert AIMonthlyUsage.objects.filter(tenant=tenant).count() == 1
