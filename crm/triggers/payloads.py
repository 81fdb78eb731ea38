"""Trigger payloads: what the trigger node outputs for a record event, webhook or schedule."""

from __future__ import annotations

from typing import Any


def record_payload(event, *, tenant_slug: str, pipeline_slug: str) -> dict[str, Any]:
    """{event, event_id, tenant, pipeline, record: {id, data}, changed_fields, actor, timestamp}."""
    actor = event.actor
    return {
        "event": event.kind,
        "event_id": event.pk,
        "tenant": tenant_slug,
        "pipeline": pipeline_slug,
        "record": {"id": event.record_id, "data": event.data},
        "changed_fields": event.changed_fields or {},
        "actor": {"id": actor.pk, "username": actor.get_username()} if actor else None,
        "timestamp": event.created_at.isoformat(),
    }


def webhook_payload(event) -> dict[str, Any]:
    """{event_id, headers (a safe subset), body, received_at}."""
    return {
        "event_id": event.pk,
        "headers": event.headers,
        "body": event.body,
        "received_at": event.received_at.isoformat(),
    }


def schedule_payload(*, scheduled_time: str, timezone: str) -> dict[str, Any]:
    return {"scheduled_time": scheduled_time, "timezone": timezone}
