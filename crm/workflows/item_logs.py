"""Per-item node logs (for-each bodies, batches of trigger events), written in bulk."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Max

from crm.db_bulk import insert_values

from .executions import capped_json_text
from .models import NodeStatus, WorkflowExecutionLog

JSON_FIELDS = frozenset({"input_data", "output_data", "error_details", "execution_details"})


def _when(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


@transaction.atomic
def node_item_logs_create(*, execution_id: UUID | str, rows: list[dict[str, Any]]) -> int:
    """Record attempts of nodes for items: one log row each, in a few bulk inserts.

    Each row: node_id, node_type, node_name, item_index, attempt, status, started, ended
    (epoch seconds), input, output, handle, error, details. Attempts continue the count of
    earlier runs of the same execution (a chunk re-executed from the Dagster UI), and the
    "skipped" placeholders an earlier run's end left for these nodes are replaced.
    """
    if not rows:
        return 0
    node_ids = {row["node_id"] for row in rows}
    indexes = [row["item_index"] for row in rows]
    earlier = WorkflowExecutionLog.objects.filter(execution_id=execution_id, node_id__in=node_ids)
    earlier.filter(status=NodeStatus.SKIPPED, item_index__isnull=True).delete()
    last = {
        (node_id, index): attempt
        for node_id, index, attempt in earlier.filter(
            item_index__gte=min(indexes), item_index__lte=max(indexes)
        )
        .values_list("node_id", "item_index")
        .annotate(last=Max("attempt"))
        .values_list("node_id", "item_index", "last")
    }
    logs = []
    statuses = frozenset(NodeStatus.values)  # a property building a list at each use
    for row in rows:
        status = row["status"]
        if status not in statuses:
            raise ValueError(f"unknown status {status!r}")
        started, ended = row["started"], row["ended"]
        logs.append({
            "execution_id": execution_id,
            "node_id": row["node_id"],
            "node_type": row["node_type"],
            "node_name": row["node_name"],
            "attempt": row["attempt"] + last.get((row["node_id"], row["item_index"]), 0),
            "item_index": row["item_index"],
            "status": status,
            "started_at": _when(started),
            "completed_at": _when(ended),
            "duration_ms": max(0, int((ended - started) * 1000)),
            "input_data": capped_json_text(row["input"]),
            "output_data": None if row["output"] is None else capped_json_text(row["output"]),
            "output_handle": row["handle"] or "",
            "error_details": None if row["error"] is None else capped_json_text(row["error"]),
            "execution_details": capped_json_text(row.get("details") or {}),
        })
    insert_values(WorkflowExecutionLog, logs, json_text=JSON_FIELDS)
    return len(logs)
