"""Batches of trigger events in one run ("items mode"): every node runs once per event.

The trigger op, given {"items": [payload, ...]} in its run config, starts one chunk with an
item per event (the payload is that item's `trigger`). Each node op that receives chunks runs
its node for every item in its step (item_exec), with per-item logs, and sends each handle
the items that took it; an item whose node fails for good is dropped and logged failed
(on_item_error "continue" semantics), so one bad event does not fail the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

from dagster import Output

from .gc_freeze import long_lived_frozen
from .graph import GraphNode
from .item_exec import ITEM_LOG, ItemEnv, log_rows, run_node_items
from .items import events_chunk, merge_chunks, split_by_handle
from .target import JobTarget

ITEMS_CONCURRENCY = 10  # events of a batch running one node at once


def item_counts(chunk: dict) -> dict[str, int]:
    failed = sum(1 for entry in chunk["items"] if entry["failed"])
    return {"items": len(chunk["items"]), "failed": failed}


def start_events(context, node: GraphNode, execution_id: str, payloads: list[Any]) -> dict:
    """The trigger of a batch: its log shows the count; returns the events' chunk."""
    executions = context.resources.executions
    log_id = executions.node_started(
        execution_id=execution_id, node_id=node.id, node_type=node.node_type.name,
        node_name=node.label, attempt=context.retry_number + 1, input_data=node.raw_config,
    )
    executions.node_finished(
        log_id=log_id, status="success", output_data={"events": len(payloads)},
        output_handle="out", execution_details={"items_mode": True},
    )
    return events_chunk(execution_id, node.id, payloads)


def run_items_step(
    context, node: GraphNode, target: JobTarget, upstream: list[dict]
) -> Iterator[Output]:
    """Run `node` for every item of the chunks that reached it; one output per handle taken."""
    chunk = merge_chunks(upstream)
    executions = context.resources.executions
    if chunk["execution_id"]:
        executions.resume(execution_id=chunk["execution_id"], dagster_run_id=context.run_id)
    resources: dict[str, Any] = {}
    try:
        resources[node.id] = {
            name: getattr(context.resources, name).for_tenant(target.tenant)
            for name in node.node_type.resources
        }
    except Exception as exc:  # noqa: BLE001 - fails the node for every item
        resources[node.id] = exc
    env = ItemEnv(target=target, resources=resources, concurrency=ITEMS_CONCURRENCY,
                  log=ITEM_LOG)
    entries = [entry for entry in chunk["items"] if not entry["failed"]]
    if entries:
        with long_lived_frozen():
            asyncio.run(run_node_items(env, node, chunk, entries))
    executions.items_logged(execution_id=chunk["execution_id"], rows=log_rows(env))
    counts = item_counts(chunk)
    if counts["failed"]:
        context.log.warning(f"{node.label}: {counts['failed']} of {counts['items']} items failed")
    for handle, part in split_by_handle(chunk, node.id, node.handles).items():
        yield Output(part, handle, metadata={"items": len(part["items"])})
