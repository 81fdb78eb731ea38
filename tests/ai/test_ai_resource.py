"""The tenant AI processor against the real local model server.

Contract: 429 is retried no sooner than its Retry-After; 500 then 200 succeeds on attempt 2;
a hang past the tenant's timeout is retried, then fails as a transient NodeError
("ai_timeout"); a 4xx other than 429 fails at once, not transient; a call that could exceed
the monthly budget is refused before anything is sent ("ai_budget_exceeded"), counting only
this month's usage; node overrides stay within the tenant's limits (max tokens, temperature,
allowed models); at most max_concurrent_requests are in flight at once; every call's usage
is stored per tenant, workflow, execution and node; the API key appears in no log record,
error or result.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from automation.nodes.base import NodeError
from crm.ai.models import AIUsage
from crm.ai.selectors import ai_usage_totals
from crm.ai.services import UsageEntry, ai_allowed_models_set, ai_usage_record_many
from crm.tenants.services import ai_settings_set
from tests.servers import free_port

from .conftest import API_KEY, ai_client

pytestmark = pytest.mark.django_db(transaction=True)
HELLO = [{"role": "user", "content": "hello"}]


def chat(client, messages=HELLO, **kwargs):
    return asyncio.run(client.chat(messages, **kwargs))


def test_429_waits_for_retry_after(ai_tenant, model_server) -> None:
    model_server.control(fail_next=[{"status": 429, "retry_after": 1}])
    started = time.monotonic()
    result = chat(ai_client(ai_tenant))
    assert time.monotonic() - started >= 1.0
    assert (result.text, result.attempts) == ("[local-echo] hello", 2)
    assert model_server.stats()["by_status"] == {"200": 1, "429": 1}


def test_500_then_success(ai_tenant, model_server) -> None:
    model_server.control(fail_next=[500])
    result = chat(ai_client(ai_tenant))
    assert result.attempts == 2 and result.model == "local-echo"
    assert result.usage["total_tokens"] == (
        result.usage["prompt_tokens"] + result.usage["completion_tokens"]
    )


def test_hang_past_timeout_is_retried_then_transient(ai_tenant, model_server) -> None:
    ai_settings_set(tenant=ai_tenant, request_timeout_s=0.3)
    model_server.control(fail_next=["hang", "hang"])
    started = time.monotonic()
    with pytest.raises(NodeError) as failed:
        chat(ai_client(ai_tenant, max_attempts=2))
    assert time.monotonic() - started >= 0.6
    assert (failed.value.error_type, failed.value.transient) == ("ai_timeout", True)
    assert "after 2 attempt(s)" in str(failed.value)
    assert model_server.stats()["requests"] == 2


def test_refused_connection_is_retried_then_transient_not_a_timeout(ai_tenant) -> None:
    """Nothing listens at the base URL: each attempt fails at once as a broken connection
    (the transport must not report it as a timeout)."""
    ai_settings_set(tenant=ai_tenant, base_url=f"http://127.0.0.1:{free_port()}/v1")
    started = time.monotonic()
    with pytest.raises(NodeError) as failed:
        chat(ai_client(ai_tenant, max_attempts=3))
    assert (failed.value.error_type, failed.value.transient) == ("ai_unavailable", True)
    assert "after 3 attempt(s): connection failed" in str(failed.value)
    assert time.monotonic() - started < 4  # not three 5 s timeouts


def test_persistent_5xx_is_transient_after_all_attempts(ai_tenant, model_server) -> None:
    model_server.control(fail_next=[503, 503, 503])
    with pytest.raises(NodeError) as failed:
        chat(ai_client(ai_tenant, max_attempts=3))
    assert (failed.value.error_type, failed.value.transient) == ("ai_unavailable", True)
    assert "HTTP 503" in str(failed.value)
    assert model_server.stats()["requests"] == 3


def test_4xx_is_not_retried(ai_tenant, model_server) -> None:
    ai_settings_set(tenant=ai_tenant, api_key="sk-wrong-key")
    with pytest.raises(NodeError) as failed:
        chat(ai_client(ai_tenant))
    assert (failed.value.error_type, failed.value.transient) == ("ai_request_refused", False)
    assert str(failed.value) == "AI request refused: HTTP 401: invalid or missing API key"
    assert model_server.stats()["requests"] == 1


def test_budget_refused_before_calling(ai_tenant, model_server) -> None:
    ai_settings_set(tenant=ai_tenant, monthly_token_budget=1_000)
    now = timezone.now()
    ai_usage_record_many(entries=[
        UsageEntry(ai_tenant.pk, "", "", "", "m", 900, 50, 1, now),
        # last month's usage does not count
        UsageEntry(ai_tenant.pk, "", "", "", "m", 9_000, 0, 1, now.replace(day=1) - timedelta(3)),
    ])
    with pytest.raises(NodeError) as failed:
        chat(ai_client(ai_tenant), max_tokens=100)
    assert (failed.value.error_type, failed.value.transient) == ("ai_budget_exceeded", False)
    assert "950 used" in str(failed.value)
    assert model_server.stats()["requests"] == 0
    assert chat(ai_client(ai_tenant), max_tokens=10).attempts == 1  # 950 + ~6 + 10 fits


def test_budget_counts_calls_of_the_same_step(ai_tenant, model_server) -> None:
    ai_settings_set(tenant=ai_tenant, monthly_token_budget=50)
    client = ai_client(ai_tenant)

    async def two_calls():
        first = await client.chat(HELLO, max_tokens=20)
        try:
            await client.chat([{"role": "user", "content": "y" * 100}], max_tokens=20)
        except NodeError as exc:
            return first, exc
        return first, None

    first, refused = asyncio.run(two_calls())
    assert first.attempts == 1 and refused is not None
    assert refused.error_type == "ai_budget_exceeded"
    assert model_server.stats()["requests"] == 1


def test_overrides_within_tenant_limits(ai_tenant, model_server) -> None:
    client = ai_client(ai_tenant)
    for kwargs in ({"max_tokens": 257}, {"temperature": 2.5}, {"max_tokens": 0}):
        with pytest.raises(NodeError) as failed:
            chat(client, **kwargs)
        assert failed.value.error_type == "ai_override_not_allowed"
    assert chat(client, model="bigger", temperature=1.5, max_tokens=256).model == "bigger"
    ai_allowed_models_set(tenant_id=ai_tenant.pk, names=["small"])
    restricted = ai_client(ai_tenant)
    with pytest.raises(NodeError, match="not allowed"):
        chat(restricted, model="bigger")
    assert chat(restricted, model="small").model == "small"
    assert chat(restricted).model == "local-echo"
    assert model_server.stats()["requests"] == 3


def test_concurrency_bound(ai_tenant, model_server) -> None:
    ai_settings_set(tenant=ai_tenant, max_concurrent_requests=3)
    model_server.control(latency=0.05)
    client = ai_client(ai_tenant)

    async def many():
        return await asyncio.gather(*[
            client.chat([{"role": "user", "content": f"item {i}"}], node_id="n")
            for i in range(20)
        ])

    results = asyncio.run(many())
    assert [r.text for r in results] == [f"[local-echo] item {i}" for i in range(20)]
    stats = model_server.stats()
    assert stats["requests"] == 20 and stats["max_in_flight"] == 3


def test_usage_rows_per_tenant_workflow_execution_node(
    ai_tenant, other_tenant, model_server
) -> None:
    ai_settings_set(tenant=other_tenant, api_key=API_KEY, base_url=model_server.base_url)
    client, other = ai_client(ai_tenant), ai_client(other_tenant)

    async def calls():
        await asyncio.gather(
            client.chat(HELLO, workflow_id="wf-a", execution_id="ex-1", node_id="classify"),
            client.chat(HELLO, workflow_id="wf-a", execution_id="ex-1", node_id="summarise"),
            client.chat(HELLO, workflow_id="wf-a", execution_id="ex-2", node_id="classify"),
        )
        await other.chat(HELLO, execution_id="ex-9", node_id="x")

    asyncio.run(calls())
    rows = AIUsage.objects.filter(tenant=ai_tenant).order_by("execution_id", "node_id")
    assert [(r.workflow_id, r.execution_id, r.node_id) for r in rows] == [
        ("wf-a", "ex-1", "classify"), ("wf-a", "ex-1", "summarise"), ("wf-a", "ex-2", "classify"),
    ]
    assert all(r.total_tokens == r.prompt_tokens + r.completion_tokens > 0 for r in rows)
    stats = model_server.stats()
    mine = ai_usage_totals(tenant_id=ai_tenant.pk)
    theirs = ai_usage_totals(tenant_id=other_tenant.pk)
    assert mine["prompt_tokens"] + theirs["prompt_tokens"] == stats["prompt_tokens"]
    assert ai_usage_totals(tenant_id=ai_tenant.pk, execution_id="ex-1")["total_tokens"] == sum(
        r.total_tokens for r in rows[:2]
    )
    assert AIUsage.objects.filter(tenant=other_tenant, execution_id="ex-9").count() == 1


def test_usage_is_written_while_a_long_step_runs_and_in_full_at_its_end(
    ai_tenant, model_server
) -> None:
    """Rows are written in batches (not one write per call): some while the calls go on,
    the rest when the step's event loop ends; none is lost or written twice."""
    ai_settings_set(tenant=ai_tenant, max_concurrent_requests=4)
    model_server.control(latency=0.05)
    client = ai_client(ai_tenant)
    mine = AIUsage.objects.filter(tenant=ai_tenant, execution_id="ex-long")

    async def step() -> int:  # 40 calls, 4 at a time, 50 ms each: about 0.5 s
        await asyncio.gather(
            *[client.chat(HELLO, execution_id="ex-long", node_id="n") for _ in range(40)]
        )
        return await sync_to_async(mine.count)()

    written_while_running = asyncio.run(step())
    assert written_while_running > 0
    assert mine.count() == 40
    stats = model_server.stats()
    assert sum(row.total_tokens for row in mine) == (
        stats["prompt_tokens"] + stats["completion_tokens"]
    )


def test_key_never_logged_or_returned(ai_tenant, model_server, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    client = ai_client(ai_tenant, max_attempts=2)
    seen: list[str] = [repr(client), repr(client.settings)]
    model_server.control(fail_next=[{"status": 429, "retry_after": 0}])
    result = chat(client, execution_id="ex", node_id="n")
    seen += [repr(result), result.text]
    model_server.control(fail_next=[500, 500])
    with pytest.raises(NodeError) as failed:
        chat(client)
    seen.append(str(failed.value))
    ai_settings_set(tenant=ai_tenant, api_key="sk-other-" + API_KEY)
    with pytest.raises(NodeError) as refused:
        chat(ai_client(ai_tenant))
    seen.append(str(refused.value))
    ai_settings_set(tenant=ai_tenant, api_key=API_KEY)
    echoed = chat(ai_client(ai_tenant), [{"role": "user", "content": f"[[mock:answer={API_KEY}]]"}])
    seen.append(echoed.text)
    seen += [r.getMessage() for r in caplog.records] + [caplog.text]
    assert any("retrying" in line for line in seen)  # the retries were logged...
    assert not [line for line in seen if API_KEY in line]  # ...without the key
