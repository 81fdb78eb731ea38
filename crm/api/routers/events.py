"""A server-sent-events stream of one execution's status and per-node logs, for the builder.

The stream polls the database (every ~200 ms) and sends only what changed: first a snapshot of
the execution and every node log, then a message per changed log or execution status, then an
"end" message once the execution has finished. Browsers' EventSource cannot send headers, so a
session caller may name the tenant with `?tenant=<slug>` instead of the X-Tenant header.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, StreamingHttpResponse
from ninja import Router

from crm.workflows.executions import TERMINAL_STATUSES
from crm.workflows.models import WorkflowExecution
from crm.workflows.selectors import execution_logs

from ..auth import TENANT_HEADER, TenantSessionAuth, TokenAuth, require
from ..permissions import Perm
from ..presenters import execution_out, node_log_out
from ..schemas.common import Error
from ..selectors import execution_of

router = Router(tags=["executions"])

POLL_INTERVAL_S = 0.2
KEEPALIVE_S = 15.0
MAX_STREAM_S = 30 * 60.0  # the browser reconnects after this (and gets a fresh snapshot)
RETRY_MS = 1000


class QueryTenantSessionAuth(TenantSessionAuth):
    """Session auth that also takes the tenant from `?tenant=` (EventSource sends no headers)."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        slug = request.GET.get("tenant", "").strip()
        if slug and not request.headers.get(TENANT_HEADER):
            request.META["HTTP_" + TENANT_HEADER.upper().replace("-", "_")] = slug
            request.__dict__.pop("headers", None)  # recompute the cached header view
        return super().authenticate(request, key)


def sse(message: dict[str, Any]) -> str:
    return f"data: {json.dumps(message, cls=DjangoJSONEncoder)}\n\n"


def _execution_state(execution: WorkflowExecution) -> dict[str, Any]:
    from automation.launcher import dagster_run_url

    return {
        **execution_out(execution),
        "dagster_run_url": dagster_run_url(execution.dagster_run_id),
    }


def _text(value: Any) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True)


def _log_key(log: dict[str, Any]) -> str:
    return f"{log['node_id']}|{log['attempt']}|{log['item_index']}"


def execution_event_stream(
    *,
    execution_id: UUID,
    with_stack: bool,
    poll_s: float = POLL_INTERVAL_S,
    max_s: float = MAX_STREAM_S,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[str]:
    """SSE chunks: snapshot, then changes (node logs, execution status), then "end"."""
    sent: dict[str, str] = {}  # what the client has: log key (or "execution") -> JSON text
    started = last_sent = clock()
    yield f"retry: {RETRY_MS}\n\n"
    while True:
        execution = WorkflowExecution.objects.select_related("workflow", "version").get(
            pk=execution_id
        )
        logs = [
            node_log_out(log, with_stack=with_stack)
            for log in execution_logs(execution_id=execution_id)
        ]
        state = _execution_state(execution)
        if not sent:
            chunks = [sse({"type": "snapshot", "execution": state, "logs": logs})]
        else:
            chunks = [
                sse({"type": "node", "log": log})
                for log in logs
                if sent.get(_log_key(log)) != _text(log)
            ]
            if sent["execution"] != _text(state):
                chunks.append(sse({"type": "execution", "execution": state}))
        sent.update({_log_key(log): _text(log) for log in logs}, execution=_text(state))
        yield from chunks
        now = clock()
        if execution.status in TERMINAL_STATUSES:
            yield sse({"type": "end", "status": execution.status})
            return
        if now - started > max_s:
            return  # the client reconnects and gets a fresh snapshot
        if chunks:
            last_sent = now
        elif now - last_sent > KEEPALIVE_S:
            yield ": keep-alive\n\n"
            last_sent = now
        sleep(poll_s)


@router.get(
    "/executions/{execution_id}/events",
    auth=[TokenAuth(), QueryTenantSessionAuth()],
    response={200: None, 404: Error},
    summary="Live status of an execution and its nodes (server-sent events)",
)
def execution_events(request: HttpRequest, execution_id: UUID) -> StreamingHttpResponse:
    """`text/event-stream`; each message's data is JSON with a `type`: snapshot (the execution
    and every node log), node (one changed log), execution (status changed), end (finished).
    Django closes the database connection when the stream ends (request_finished)."""
    who = require(request, Perm.EXECUTION_READ)
    execution = execution_of(tenant=who.tenant, execution_id=execution_id)
    stream = execution_event_stream(
        execution_id=execution.pk, with_stack=who.can(Perm.EXECUTION_STACK)
    )
    response = StreamingHttpResponse(stream, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response
