"""The webhook sensor: turns stored WebhookEvents (accepted with a 202) into runs."""

from __future__ import annotations

from typing import Any

import dagster as dg
from django.db.models import Q

from .trigger_dispatch import MAX_EVENTS_PER_TICK, Cursor, Source, trigger_sensor

SENSOR_NAME = "crm_webhook_triggers"


def _ingest(cursor: Cursor, targets: dict) -> tuple[list[int], list[tuple[Any, int, int]]]:
    """Every stored event is delivered to its workflow (it was accepted for it); the planner
    holds it while the workflow is not active."""
    from crm.triggers.models import WebhookEvent

    gaps = [int(key) for key in cursor.gaps]
    events = (
        WebhookEvent.objects.filter(Q(pk__gt=cursor.after) | Q(pk__in=gaps))
        .order_by("pk")
        .values_list("pk", "workflow_id", "tenant_id")
    )[:MAX_EVENTS_PER_TICK]
    read: list[int] = []
    matches: list[tuple[Any, int, int]] = []
    for event_id, workflow_id, tenant_id in events:
        read.append(event_id)
        matches.append((workflow_id, tenant_id, event_id))
    return read, matches


def _latest_id() -> int:
    from crm.triggers.models import WebhookEvent

    return WebhookEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _payloads(ids: list[int]) -> dict[int, dict[str, Any]]:
    from crm.triggers.models import WebhookEvent
    from crm.triggers.payloads import webhook_payload

    return {event.pk: webhook_payload(event) for event in WebhookEvent.objects.filter(pk__in=ids)}


WEBHOOK_SOURCE = Source(
    name="webhook",
    execution_source="webhook",
    trigger_types=["webhook"],
    ingest=_ingest,
    payloads=_payloads,
    latest_id=_latest_id,
)


def webhook_sensors(jobs=()) -> list[dg.SensorDefinition]:
    """The sensor, targeting the served jobs of workflows with this kind of trigger."""
    description = "Starts webhook-triggered workflows from the webhook events stored by the CRM."
    return [trigger_sensor(WEBHOOK_SOURCE, SENSOR_NAME, description, jobs)]
