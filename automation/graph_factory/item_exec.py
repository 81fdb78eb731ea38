"""Run one node for many items of a chunk: concurrently, with per-item retries and on_error.

Async node types (AI, HTTP, waits) run their items concurrently in the step's event loop,
bounded by the loop's max_concurrency (and the AI resource's per-tenant bound). Sync node
types (records, tasks, conditions) use the Django ORM, which must not run in an event loop:
their items run in asgiref's sync thread, in one transaction per pass: through the node type's
`run_batch` when it has one (bulk reads and writes for the whole pass), else one after another
(one savepoint per item), which is what keeps 10,000 record writes cheap on SQLite.
A failed attempt is retried in process with the node's retry plan; after the last one the
node's on_error applies per item, and an item that still failed is reported to the caller.
An item whose node suspended (approval, long wait; top-level loops only) waits: it goes no
further in this run and is reported to the caller (env.suspended), which registers it.
Every attempt of every item becomes one execution-log row, written in bulk (`flush`).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import sync_to_async

from automation.nodes.base import ERROR_HANDLE, NodeSuspended

from .error_policy import RetryPlan, decide, retry_plan
from .graph import GraphNode
from .items import item_state
from .node_exec import (
    NodeFailure,
    NodeOutcome,
    aexecute_node,
    execute_node,
    execute_node_batch,
)
from .node_settings import continue_handle
from .target import JobTarget

# Node runs for items log here, not to the Dagster step: every Dagster log line is an event-log
# row (~10 ms on SQLite), which would dominate a 10,000-item loop. Items log to the CRM.
ITEM_LOG = logging.getLogger("automation.items")
# (env, node, chunk, entry, attempt number) -> outcome: how a for_each runs its loop for an item.
Runner = Callable[[Any, GraphNode, dict, dict, int], Awaitable[NodeOutcome]]


@dataclass
class ItemEnv:
    """What the item runs of one step share."""

    target: JobTarget
    resources: dict[str, Any]  # node id -> {name: tenant client}, or the exception it raised
    concurrency: int
    on_item_error: str = "continue"  # "fail": an item that failed for good fails the step
    log: Any = None
    item_path: str = ""  # execution_details "item" prefix for nested loops ("3/")
    rows: list[dict] = field(default_factory=list)
    failures: list[tuple[GraphNode, dict, NodeFailure]] = field(default_factory=list)
    loop_runner: Runner | None = None  # runs nested for_each nodes (body.py)
    semaphore: Any = None  # asyncio's, or a shared gate (automation/gates.py)
    suspendable: bool = False  # items may suspend (a top-level loop's body step)
    suspended: list[tuple[GraphNode, dict, NodeSuspended]] = field(default_factory=list)

    def gate(self) -> Any:
        if self.semaphore is None:
            self.semaphore = asyncio.Semaphore(self.concurrency)
        return self.semaphore

    def plan(self, node: GraphNode) -> RetryPlan:
        return retry_plan(node.settings, self.target.retry_count)


def _is_async(node: GraphNode) -> bool:
    return inspect.iscoroutinefunction(node.node_type.run)


def _resources_or_failure(env: ItemEnv, node: GraphNode, attempt: int) -> Any:
    found = env.resources.get(node.id, {})
    if isinstance(found, BaseException):
        return NodeOutcome(
            input=node.raw_config,
            failure=NodeFailure.from_exception(
                found, node_id=node.id, attempt=attempt, input=node.raw_config
            ),
        )
    return found


async def _attempt_async(env: ItemEnv, node: GraphNode, chunk: dict, entry: dict, attempt: int):
    if node.node_type.name == "for_each" and env.loop_runner is not None:
        async with env.gate():  # outer items at once x the inner loop's own bound
            return await env.loop_runner(env, node, chunk, entry, attempt)
    resources = _resources_or_failure(env, node, attempt)
    if isinstance(resources, NodeOutcome):
        return resources
    async with env.gate():
        return await aexecute_node(
            node, item_state(chunk, entry), env.target, resources, attempt, log=env.log
        )


def _sync_pass(env: ItemEnv, node: GraphNode, chunk: dict, entries: list[dict], attempt: int):
    """One attempt for each entry, in this (ORM) thread, in one transaction."""
    from django.db import transaction

    resources = _resources_or_failure(env, node, attempt)
    results = []
    with transaction.atomic():
        if node.node_type.run_batch is not None and not isinstance(resources, NodeOutcome):
            batch = _batch_pass(env, node, chunk, entries, attempt, resources)
            if batch is not None:
                return batch
        for entry in entries:
            started = time.time()
            if isinstance(resources, NodeOutcome):
                outcome = resources
            else:
                with transaction.atomic():  # a failing item rolls back alone
                    outcome = execute_node(
                        node, item_state(chunk, entry), env.target, resources, attempt,
                        log=env.log,
                    )
            results.append((entry, outcome, started, time.time()))
    return results


def _batch_pass(env, node, chunk, entries, attempt, resources):
    """The entries through the node type's run_batch, in a savepoint (None if it raised:
    the savepoint is rolled back and the caller runs them one by one)."""
    from django.db import transaction

    started = time.time()
    try:
        with transaction.atomic():
            outcomes = execute_node_batch(
                node, [item_state(chunk, entry) for entry in entries], env.target, resources,
                attempt, log=env.log,
            )
    except Exception:  # noqa: BLE001 - e.g. a concurrent run's write key: per item instead
        ITEM_LOG.warning("%s: batch run failed, running its items one by one", node.id,
                         exc_info=True)
        return None
    ended = time.time()
    return [(entry, outcome, started, ended) for entry, outcome in zip(entries, outcomes,
                                                                         strict=True)]


async def run_node_items(env: ItemEnv, node: GraphNode, chunk: dict, entries: list[dict]):
    """Run `node` for `entries`; record outputs/handles in them; failures go to env.failures."""
    plan = env.plan(node)
    if _is_async(node) or node.node_type.name == "for_each":
        await asyncio.gather(*(_one_async(env, node, plan, chunk, e) for e in entries))
        return
    pending, attempt = entries, 1
    while pending:
        results = await sync_to_async(_sync_pass, thread_sensitive=True)(
            env, node, chunk, pending, attempt
        )
        retry = [
            entry for entry, outcome, start, end in results
            if _settle(env, node, plan, entry, outcome, attempt, start, end) == "retry"
        ]
        if retry:
            await asyncio.sleep(plan.delay_s(attempt))
        pending, attempt = retry, attempt + 1


async def _one_async(env: ItemEnv, node: GraphNode, plan: RetryPlan, chunk: dict, entry: dict):
    attempt = 1
    while True:
        started = time.time()
        outcome = await _attempt_async(env, node, chunk, entry, attempt)
        if _settle(env, node, plan, entry, outcome, attempt, started, time.time()) != "retry":
            return
        await asyncio.sleep(plan.delay_s(attempt))
        attempt += 1


def _settle(env, node, plan, entry, outcome: NodeOutcome, attempt, started, ended) -> str:
    """Apply one attempt's outcome to the item; returns the decision ("ok" on success)."""
    row = {
        "node": node, "item_index": entry["index"], "attempt": attempt,
        "started": started, "ended": ended,
        "input": outcome.input, "details": {"item": f"{env.item_path}{entry['index']}"},
    }
    if outcome.failure is None:
        entry["nodes"][node.id] = outcome.output
        entry["fired"].append((node.id, outcome.handle))
        env.rows.append({**row, "status": "success", "output": outcome.output,
                         "handle": outcome.handle, "error": None})
        return "ok"
    failure = outcome.failure
    if env.suspendable and isinstance(failure.exception, NodeSuspended):
        signal = failure.exception
        row["details"].update({
            "suspended": signal.kind,
            "due_at": signal.due_at.isoformat() if signal.due_at is not None else None,
        })
        env.rows.append({**row, "status": "waiting", "output": signal.output, "handle": "",
                         "error": None})
        entry["waiting"] = True
        env.suspended.append((node, entry, signal))
        return "waiting"
    decision = decide(plan, node.settings, transient=failure.transient, attempt=failure.attempt)
    handle = {"continue": continue_handle(node.handles), "branch": ERROR_HANDLE}.get(decision)
    if decision == "stop":
        # "continue": the flow goes on without this item (not the execution's failure).
        decision = "item_failed" if env.on_item_error == "fail" else "continue"
    row["details"].update({"on_error": node.settings.on_error, "outcome": decision})
    if decision == "retry":
        row["details"]["retry_in_s"] = round(plan.delay_s(failure.attempt), 3)
    env.rows.append({**row, "status": "failed", "handle": handle or "",
                     "output": failure.error_object() if handle else None,
                     "error": failure.log_details()})
    if handle is not None:  # the node's on_error continue/branch: the item goes on
        entry["nodes"][node.id] = failure.error_object()
        entry["fired"].append((node.id, handle))
    elif decision != "retry":
        entry["failed"] = True
        entry["error"] = failure.error_object()
        env.failures.append((node, entry, failure))
    return decision


def log_rows(env: ItemEnv) -> list[dict[str, Any]]:
    """env.rows as rows for ExecutionsResource.items_logged (and empties env.rows)."""
    rows, env.rows = env.rows, []
    return [_log_row(row) for row in rows]


def _log_row(row: dict) -> dict[str, Any]:
    return {
        "node_id": row["node"].id,
        "node_type": row["node"].node_type.name,
        "node_name": row["node"].label,
        "item_index": row["item_index"],
        "attempt": row["attempt"],
        "status": row["status"],
        "started": row["started"],
        "ended": row["ended"],
        "input": row["input"],
        "output": row["output"],
        "handle": row["handle"],
        "error": row["error"],
        "details": row["details"],
    }
