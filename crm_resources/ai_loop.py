"""Per event loop, per tenant: the pooled HTTP client, budget and usage (and the tenant's
concurrency bound, shared by every loop of the process: automation/gates.py).

Each Dagster step runs its node in its own event loop (``asyncio.run``); every AI call of that
loop for one tenant shares one ``LoopTenantState``. It is closed when the loop shuts down its
async generators (``asyncio.run`` does): pending usage is written and the client closed.
"""

from __future__ import annotations

import asyncio
import functools
import json
import ssl
import time
import weakref
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import certifi
from asgiref.sync import sync_to_async

from automation.gates import shared_gate
from automation.nodes.base import NodeError


@dataclass(frozen=True)
class UsageRow:
    """A call's usage waiting to be written (see crm.ai.services.UsageEntry)."""

    entry: object
    tokens: int


class BudgetLedger:
    """Tokens used this month: the database figure, plus this loop's unwritten and in-flight."""

    def __init__(self, tenant_id: int, budget: int, refresh_s: float):
        self.tenant_id = tenant_id
        self.budget = budget
        self.refresh_s = refresh_s
        self.db_used = 0
        self.unwritten = 0  # recorded in this loop, not yet in db_used
        self.reserved = 0  # estimates of calls in flight
        self.loaded_at: float | None = None

    @property
    def used(self) -> int:
        return self.db_used + self.unwritten

    def stale(self) -> bool:
        return self.loaded_at is None or time.monotonic() - self.loaded_at > self.refresh_s

    async def refresh(self, recorder: UsageRecorder) -> None:
        """Re-read the month's usage when stale (after writing this loop's pending rows)."""
        from crm.ai.selectors import ai_tokens_used_this_month

        if not self.stale():
            return
        async with recorder.lock:
            if not self.stale():
                return
            await recorder.write_pending()
            used = await sync_to_async(ai_tokens_used_this_month, thread_sensitive=True)(
                tenant_id=self.tenant_id
            )
            self.db_used, self.loaded_at = used, time.monotonic()
            self.unwritten = sum(row.tokens for row in recorder.pending)

    def reserve(self, estimate: int) -> None:
        """Hold `estimate` tokens for a call, or refuse it when the budget would be exceeded."""
        if self.used + self.reserved + estimate > self.budget:
            raise NodeError(
                f"the tenant's monthly AI token budget ({self.budget:,}) would be exceeded: "
                f"{self.used:,} used, {self.reserved:,} in flight, this call needs up to "
                f"{estimate:,}",
                error_type="ai_budget_exceeded",
            )
        self.reserved += estimate

    def release(self, estimate: int) -> None:
        self.reserved -= estimate


class UsageRecorder:
    """Writes usage rows in batches: when FLUSH_ROWS are waiting or FLUSH_EVERY_S has passed
    since the last write (the call that crosses either waits for the write), and when the
    event loop ends. A row a concurrent call queued is written with that batch; until then
    the ledger counts it as unwritten. Writing each call's row at once cost a thread hop and
    a transaction per call, about a fifth of a batch's CPU."""

    FLUSH_ROWS = 500
    FLUSH_EVERY_S = 0.25

    def __init__(self, ledger: BudgetLedger):
        self.ledger = ledger
        self.pending: list[UsageRow] = []
        self.lock = asyncio.Lock()
        self.written_at = time.monotonic()

    async def record(self, row: UsageRow) -> None:
        """Queue a row; write the queue if it is due (see the class docstring)."""
        self.pending.append(row)
        self.ledger.unwritten += row.tokens
        due = time.monotonic() - self.written_at >= self.FLUSH_EVERY_S
        if (due or len(self.pending) >= self.FLUSH_ROWS) and not self.lock.locked():
            async with self.lock:
                await self.write_pending()

    async def write_pending(self) -> None:
        """Write every pending row (call with `lock` held)."""
        from crm.ai.services import ai_usage_record_many

        self.written_at = time.monotonic()
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        try:
            await sync_to_async(ai_usage_record_many, thread_sensitive=True)(
                entries=[row.entry for row in batch]
            )
        except BaseException:
            self.pending[:0] = batch
            raise
        written = sum(row.tokens for row in batch)
        self.ledger.unwritten -= written
        self.ledger.db_used += written


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One verifying TLS context for every client (building one costs ~15 ms)."""
    return ssl.create_default_context(cafile=certifi.where())


MAX_ANSWER_BYTES = 8 * 1024 * 1024  # a chat completion is some kilobytes


@dataclass(frozen=True)
class ChatResponse:
    """A chat-completions call's answer, read in full: status, headers (case-insensitive),
    body."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)


class ClientPool:
    """One aiohttp session: a pool of `size` keep-alive connections. Create it in the event
    loop that uses it.

    aiohttp parses HTTP in C. A call through it costs about 0.15 ms of CPU here; through
    httpx's request and response types over these same connections (httpx-aiohttp's
    transport), 0.24 ms; through httpx's own stack (httpcore, h11, anyio), 0.4 ms. One
    process's CPU is what bounds a batch of thousands of calls at 50+ in flight.
    """

    def __init__(self, size: int):
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=size, ssl=_ssl_context()), trust_env=False,
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        self._timeouts: dict[float, aiohttp.ClientTimeout] = {}

    async def post(
        self, url: str, *, json: object, headers: dict[str, str], timeout_s: float
    ) -> ChatResponse:
        """POST `json` (no redirects followed); the whole response is read and its connection
        released. aiohttp's errors pass through: its timeouts are TimeoutErrors."""
        timeout = self._timeouts.get(timeout_s)
        if timeout is None:  # a connection from the pool, connecting, each read: timeout_s
            timeout = self._timeouts[timeout_s] = aiohttp.ClientTimeout(
                total=None, connect=timeout_s, sock_connect=timeout_s, sock_read=timeout_s
            )
        body = _json_bytes(json)
        async with self.session.post(
            url, data=body, headers=headers, timeout=timeout, allow_redirects=False
        ) as response:
            content = await _read_capped(response)
        return ChatResponse(response.status, response.headers, content)

    async def aclose(self) -> None:
        await self.session.close()


class AnswerTooLarge(Exception):
    """The answer's body is longer than MAX_ANSWER_BYTES (once decompressed)."""


async def _read_capped(response: aiohttp.ClientResponse) -> bytes:
    """The whole body, unless it is longer than MAX_ANSWER_BYTES: an endpoint a tenant set up
    must not fill a run worker's memory. A plain body of known length is read in one go."""
    length = response.content_length
    if length is not None and length > MAX_ANSWER_BYTES:
        raise AnswerTooLarge
    if length is not None and not response.headers.get("content-encoding"):
        return await response.read()
    parts, size = [], 0
    while chunk := await response.content.read(64 * 1024):
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise AnswerTooLarge
        parts.append(chunk)
    return b"".join(parts)


def _json_bytes(value: object) -> bytes:
    """Compact UTF-8 JSON, as httpx sends it (NaN refused: not JSON)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def broken_connection(exc: BaseException) -> str | None:
    """The kind of broken connection behind an exception of `ClientPool.post` (e.g.
    "ClientConnectorError"), or None for a timeout."""
    if isinstance(exc, TimeoutError):
        return None
    return type(exc).__name__


class LoopTenantState:
    """One tenant's AI plumbing inside one event loop."""

    def __init__(self, tenant_id: int, max_concurrent: int, budget: int, refresh_s: float):
        self.client = ClientPool(max_concurrent)
        self.semaphore = shared_gate(("ai", tenant_id), max_concurrent)
        self.ledger = BudgetLedger(tenant_id, budget, refresh_s)
        self.recorder = UsageRecorder(self.ledger)
        self._closer: AsyncIterator[None] | None = None

    async def start(self) -> None:
        """Register the closer with the running loop (finalised by shutdown_asyncgens)."""
        self._closer = self._close_at_loop_end()
        await anext(self._closer)

    async def _close_at_loop_end(self) -> AsyncIterator[None]:
        try:
            yield
        finally:
            try:
                async with self.recorder.lock:
                    await self.recorder.write_pending()
            finally:
                await self.client.aclose()


_STATES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple, LoopTenantState]]
_STATES = weakref.WeakKeyDictionary()


async def loop_state(
    tenant_id: int, *, max_concurrent: int, budget: int, refresh_s: float
) -> LoopTenantState:
    """The running loop's state for this tenant (and these limits), created on first use."""
    states = _STATES.setdefault(asyncio.get_running_loop(), {})
    key = (tenant_id, max_concurrent, budget)
    state = states.get(key)
    if state is None:
        state = states[key] = LoopTenantState(tenant_id, max_concurrent, budget, refresh_s)
        await state.start()
    return state
