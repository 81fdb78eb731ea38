"""Admin: webhook endpoints (never their secrets), stored webhook events, trigger deliveries
(deferred ones included) and batches, read-only and scoped to the user's tenants."""

from __future__ import annotations

from django.contrib import admin

from crm.tenants.admin_scoping import ReadOnlyAdmin

from .models import TriggerBatch, TriggerDelivery, WebhookEndpoint, WebhookEvent


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    list_display = ["workflow", "tenant", "created_at", "rotated_at"]
    exclude = ["secret_encrypted", "key"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "workflow", "tenant", "message_id", "content_type", "received_at"]
    list_filter = [("tenant", admin.RelatedOnlyFieldListFilter)]


@admin.register(TriggerDelivery)
class TriggerDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["source", "event_id", "workflow", "status", "reason", "available_at"]
    list_filter = ["status", "source", ("tenant", admin.RelatedOnlyFieldListFilter)]


@admin.register(TriggerBatch)
class TriggerBatchAdmin(ReadOnlyAdmin):
    list_display = ["run_key", "workflow", "job_name", "events", "created_at"]
    list_filter = ["source", ("tenant", admin.RelatedOnlyFieldListFilter)]
