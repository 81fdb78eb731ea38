"""Triggers: the webhook URL and secret (shown once, rotated), next schedule times, and the
events waiting for a run (deferred by the rate limit or pending)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from automation.sensors.schedules import next_run_times
from crm.triggers.models import TriggerDelivery
from crm.triggers.selectors import (
    deferred_deliveries,
    pending_deliveries,
    trigger_config_of,
    webhook_endpoint_of,
)
from crm.triggers.services import webhook_endpoint_create, webhook_endpoint_rotate
from crm.workflows.selectors import workflow_get

from ..auth import require
from ..errors import ApiError, conflict
from ..pagination import PageOut, PageParams, page
from ..permissions import Perm
from ..schemas.common import Error

router = Router(tags=["triggers"])


class WebhookOut(Schema):
    url: str
    created_at: datetime
    rotated_at: datetime | None
    secret: str | None = Field(None, description="Only in the reply that created or rotated it")
    secret_header: str = "X-Webhook-Secret"
    signature: str = "Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature"


class RotateIn(Schema):
    new_url: bool = Field(False, description="Also replace the URL key (the old URL stops)")


class NextRunsOut(Schema):
    cron: str
    timezone: str
    next_runs: list[str]


class DeliveryOut(Schema):
    source: str
    event_id: int
    status: str
    reason: str
    created_at: datetime
    available_at: datetime | None


class DeliveryPage(PageOut):
    items: list[DeliveryOut]


class DeliveryFilters(PageParams):
    status: str = Field("deferred", pattern="^(deferred|pending)$")


def _webhook_out(request: HttpRequest, endpoint, secret: str | None = None) -> dict[str, Any]:
    return {
        "url": request.build_absolute_uri(f"/hooks/{endpoint.key}"),
        "created_at": endpoint.created_at,
        "rotated_at": endpoint.rotated_at,
        "secret": secret,
    }


def _delivery_out(delivery: TriggerDelivery) -> dict[str, Any]:
    return {
        "source": delivery.source,
        "event_id": delivery.event_id,
        "status": delivery.status,
        "reason": delivery.reason,
        "created_at": delivery.created_at,
        "available_at": delivery.available_at,
    }


@router.get("/workflows/{workflow_id}/webhook", response={200: WebhookOut, 404: Error})
def get_webhook(request: HttpRequest, workflow_id: UUID) -> dict[str, Any]:
    """The workflow's webhook URL (never its secret)."""
    who = require(request, Perm.WORKFLOW_READ)
    workflow = workflow_get(tenant=who.tenant, workflow_id=workflow_id)
    endpoint = webhook_endpoint_of(workflow=workflow)
    if endpoint is None:
        raise ApiError(404, "The workflow has no webhook; create one with POST.")
    return _webhook_out(request, endpoint)


@router.post("/workflows/{workflow_id}/webhook", response={201: WebhookOut, 404: Error, 409: Error})
def create_webhook(request: HttpRequest, workflow_id: UUID) -> Status:
    """Give the workflow a webhook URL and secret; the secret is shown in this reply only."""
    who = require(request, Perm.WORKFLOW_EDIT)
    workflow = workflow_get(tenant=who.tenant, workflow_id=workflow_id)
    try:
        endpoint, secret = webhook_endpoint_create(workflow=workflow)
    except ValueError as exc:
        raise conflict(str(exc)) from None
    return Status(201, _webhook_out(request, endpoint, secret))


@router.post("/workflows/{workflow_id}/webhook/rotate", response={200: WebhookOut, 404: Error})
def rotate_webhook(request: HttpRequest, workflow_id: UUID, body: RotateIn) -> dict[str, Any]:
    """A new secret (shown in this reply only), and a new URL when asked; old ones stop."""
    who = require(request, Perm.WORKFLOW_EDIT)
    workflow = workflow_get(tenant=who.tenant, workflow_id=workflow_id)
    endpoint = webhook_endpoint_of(workflow=workflow)
    if endpoint is None:
        raise ApiError(404, "The workflow has no webhook; create one with POST.")
    endpoint, secret = webhook_endpoint_rotate(endpoint=endpoint, new_url=body.new_url)
    return _webhook_out(request, endpoint, secret)


@router.get(
    "/workflows/{workflow_id}/schedule",
    response={200: NextRunsOut, 404: Error, 409: Error},
    summary="The next run times of the published schedule trigger",
)
def next_runs(
    request: HttpRequest, workflow_id: UUID, count: int = Query(5, ge=1, le=100)
) -> dict[str, Any]:
    who = require(request, Perm.WORKFLOW_READ)
    workflow = workflow_get(tenant=who.tenant, workflow_id=workflow_id)
    version = workflow.current_version
    config = trigger_config_of(version) if version is not None else None
    if config is None or config.trigger_type != "schedule" or not config.cron:
        raise conflict("The workflow's published trigger is not a schedule.")
    return {
        "cron": config.cron,
        "timezone": config.timezone,
        "next_runs": next_run_times(config.cron, config.timezone, count, time.time()),
    }


@router.get(
    "/workflows/{workflow_id}/trigger/events",
    response={200: DeliveryPage, 404: Error},
    summary="Trigger events waiting for a run: deferred by the rate limit, or pending",
)
def waiting_events(
    request: HttpRequest, workflow_id: UUID, filters: Query[DeliveryFilters]
) -> dict[str, Any]:
    who = require(request, Perm.WORKFLOW_READ)
    workflow = workflow_get(tenant=who.tenant, workflow_id=workflow_id)
    found = (
        deferred_deliveries(workflow=workflow)
        if filters.status == "deferred"
        else pending_deliveries(workflow=workflow)
    )
    return page(found, filters, _delivery_out)
