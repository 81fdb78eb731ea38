"""The record-event sensor: reads the RecordEvent outbox past its cursor and starts the
workflows whose trigger matches (kind, pipelines, watched fields, conditions), in batches."""

from __future__ import annotations

from typing import Any

import dagster as dg
from django.db.models import Q

from .trigger_dispatch import MAX_EVENTS_PER_TICK, Cursor, Source, trigger_sensor

SENSOR_NAME = "crm_record_triggers"
TRIGGER_TYPES = ["record_created", "record_updated", "field_changed", "record_deleted"]


def _ingest(cursor: Cursor, targets: dict) -> tuple[list[int], list[tuple[Any, int, int]]]:
    from crm.records.models import RecordEvent
    from crm.triggers.matching import record_event_matches

    gaps = [int(key) for key in cursor.gaps]
    events = (
        RecordEvent.objects.filter(Q(pk__gt=cursor.after) | Q(pk__in=gaps))
        .order_by("pk")
        .values_list("pk", "tenant_id", "kind", "pipeline__slug", "data", "changed_fields")
    )[:MAX_EVENTS_PER_TICK]
    by_tenant: dict[int, list] = {}
    for target in targets.values():
        by_tenant.setdefault(target.workflow.tenant_id, []).append(target)
    read: list[int] = []
    matches: list[tuple[Any, int, int]] = []
    for event_id, tenant_id, kind, pipeline, data, changed in events:
        read.append(event_id)
        for target in by_tenant.get(tenant_id, ()):
            if record_event_matches(
                target.config, kind=kind, pipeline=pipeline, data=data, changed=changed
            ):
                matches.append((target.workflow.pk, tenant_id, event_id))
    return read, matches


def _latest_id() -> int:
    from crm.records.models import RecordEvent

    return RecordEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _payloads(ids: list[int]) -> dict[int, dict[str, Any]]:
    from crm.records.models import RecordEvent
    from crm.triggers.payloads import record_payload

    events = RecordEvent.objects.filter(pk__in=ids).select_related("tenant", "pipeline", "actor")
    return {
        event.pk: record_payload(
            event, tenant_slug=event.tenant.slug, pipeline_slug=event.pipeline.slug
        )
        for event in events
    }


RECORD_SOURCE = Source(
    name="record",
    execution_source="record_event",
    trigger_types=TRIGGER_TYPES,
    ingest=_ingest,
    payloads=_payloads,
    latest_id=_latest_id,
)


def record_event_sensors(jobs=()) -> list[dg.SensorDefinition]:
    """The sensor, targeting the served jobs of workflows with this kind of trigger."""
    description = (
        "Starts workflows on record created/updated/deleted and field changes "
        "(the CRM's record-event outbox, read past a cursor; run keys from event ids)."
    )
    return [trigger_sensor(RECORD_SOURCE, SENSOR_NAME, description, jobs)]
