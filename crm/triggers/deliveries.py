"""Deliveries of trigger events to runs: recorded, rate limited, grouped into batches.

A sensor tick (1) records a delivery per (workflow, event) it matched, idempotently; (2) plans:
groups the pending deliveries of each workflow into batches of its batching policy, defers
what the workflow's `max_executions_per_hour` has no room for, and holds what cannot run yet
(its job is not loaded, or a batch is still filling). A batch is written before its run is
requested, and its run key names its first event, so a tick replayed after a crash asks for
the same runs again (which the daemon ignores) and never re-batches an event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Min, Q, Sum

from .models import DeliveryStatus, TriggerBatch, TriggerDelivery
from .selectors import TriggerTarget

WINDOW = timedelta(hours=1)  # the rate limit's window


@dataclass(frozen=True)
class LoadedJob:
    """The job a workflow's runs can target now: its name and the version it was built from."""

    name: str
    version_id: int


# workflow target -> the loaded job, or the reason it cannot run yet
JobLookup = Callable[[TriggerTarget], "LoadedJob | str"]


def run_key(source: str, first_event_id: int, workflow_id: str) -> str:
    """The run key of a batch: derived from its first event (each event is in one batch)."""
    return f"{source}:{first_event_id}:{workflow_id}"


def deliveries_record(*, source: str, matches: list[tuple[Any, int, int]]) -> int:
    """Record a pending delivery per (workflow id, tenant id, event id); ones already
    recorded are kept as they are."""
    rows = [
        TriggerDelivery(
            tenant_id=tenant_id, workflow_id=workflow_id, source=source, event_id=event_id
        )
        for workflow_id, tenant_id, event_id in matches
    ]
    TriggerDelivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return len(rows)


def _used_last_hour(workflow_id, now: datetime) -> tuple[int, datetime | None]:
    """Events delivered in the window, and when the oldest of them leaves it."""
    found = TriggerBatch.objects.filter(workflow_id=workflow_id, created_at__gt=now - WINDOW)
    totals = found.aggregate(used=Sum("events"), oldest=Min("created_at"))
    oldest = totals["oldest"]
    return totals["used"] or 0, (oldest + WINDOW if oldest else None)


@dataclass
class Plan:
    batches: list[TriggerBatch]
    deferred: int = 0
    held: dict[str, str] | None = None  # workflow id -> why its events wait


def _hold(deliveries: list[TriggerDelivery], reason: str) -> None:
    ids = [d.pk for d in deliveries if d.reason != reason[:255]]
    if ids:
        TriggerDelivery.objects.filter(pk__in=ids).update(reason=reason[:255])


def _defer(deliveries: list[TriggerDelivery], until: datetime | None, reason: str) -> None:
    TriggerDelivery.objects.filter(pk__in=[d.pk for d in deliveries]).update(
        status=DeliveryStatus.DEFERRED, available_at=until, reason=reason[:255]
    )


def _batch_size(target: TriggerTarget, supports_items: bool) -> int:
    policy = target.config.batch
    return policy.max_events if policy.mode == "batch" and supports_items else 1


def plan_batches(
    *,
    source: str,
    targets: dict[str, TriggerTarget],
    job_for: JobLookup,
    supports_items: bool,
    now: datetime,
    max_runs: int,
    scan_limit: int = 5000,
    runs_waiting: Callable[[Any], int] | None = None,
) -> Plan:
    """Batches for the deliveries that may run now (at most `max_runs`), written to the CRM."""
    due = (
        TriggerDelivery.objects.filter(
            source=source, status__in=[DeliveryStatus.PENDING, DeliveryStatus.DEFERRED]
        )
        .filter(Q(available_at__isnull=True) | Q(available_at__lte=now))
        .order_by("event_id")[:scan_limit]
    )
    by_workflow: dict[str, list[TriggerDelivery]] = {}
    for delivery in due:
        by_workflow.setdefault(str(delivery.workflow_id), []).append(delivery)
    plan = Plan(batches=[], held={})
    for workflow_id, deliveries in by_workflow.items():
        if len(plan.batches) >= max_runs:
            break
        target = targets.get(workflow_id)
        if target is None:
            reason = "the workflow is not active with this trigger: waiting"
            _hold(deliveries, reason)
            plan.held[workflow_id] = reason
            continue
        job = job_for(target)
        if isinstance(job, str):
            _hold(deliveries, job)
            plan.held[workflow_id] = job
            continue
        limit = target.max_per_hour
        used, frees_at = _used_last_hour(target.workflow.pk, now)
        room = max(0, limit - used)
        if room < len(deliveries):
            reason = f"rate limit: max_executions_per_hour ({limit}) reached"
            _defer(deliveries[room:], frees_at or now + WINDOW, reason)
            plan.deferred += len(deliveries) - room
            deliveries = deliveries[:room]
        size = _batch_size(target, supports_items)
        policy = target.config.batch
        if deliveries and size > 1 and runs_waiting is not None and runs_waiting(target):
            # Backpressure: while a run of this workflow waits for a slot, its events gather
            # into the next batch (fewer, fuller runs) instead of queueing one small run a tick.
            reason = "batching: a run of this workflow is waiting to start; events gather"
            _hold(deliveries, reason)
            plan.held[workflow_id] = reason
            continue
        if deliveries and size > 1 and len(deliveries) < size and policy.max_wait_s > 0:
            oldest = min(d.created_at for d in deliveries)
            if (now - oldest).total_seconds() < policy.max_wait_s:
                reason = f"batching: waiting up to {policy.max_wait_s:g} s for more events"
                _hold(deliveries, reason)
                plan.held[workflow_id] = reason
                continue
        for start in range(0, len(deliveries), size):
            if len(plan.batches) >= max_runs:
                break
            plan.batches.append(_batch(source, target, job, deliveries[start : start + size]))
    return plan


@transaction.atomic
def _batch(
    source: str, target: TriggerTarget, job: LoadedJob, deliveries: list[TriggerDelivery]
) -> TriggerBatch:
    batch = TriggerBatch.objects.create(
        tenant_id=target.workflow.tenant_id,
        workflow_id=target.workflow.pk,
        source=source,
        run_key=run_key(source, deliveries[0].event_id, str(target.workflow.pk)),
        job_name=job.name,
        version_id=job.version_id,
        events=len(deliveries),
    )
    TriggerDelivery.objects.filter(pk__in=[d.pk for d in deliveries]).update(
        status=DeliveryStatus.DISPATCHED, batch=batch, reason="", available_at=None
    )
    return batch


def batches_after(*, source: str, batch_id: int, limit: int = 200) -> list[TriggerBatch]:
    """Batches planned by ticks whose cursor was never committed (to request again)."""
    return list(TriggerBatch.objects.filter(source=source, pk__gt=batch_id).order_by("pk")[:limit])


def batch_event_ids(batch: TriggerBatch) -> list[int]:
    return list(batch.deliveries.order_by("event_id").values_list("event_id", flat=True))
