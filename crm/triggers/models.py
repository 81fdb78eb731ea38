"""Webhook endpoints and their stored events; deliveries of trigger events to runs."""

from django.db import models

from crm.tenants.models import Tenant
from crm.workflows.models import Workflow


class WebhookEndpoint(models.Model):
    """A workflow's webhook: an unguessable URL key and a secret kept encrypted."""

    workflow = models.OneToOneField(Workflow, on_delete=models.CASCADE, related_name="webhook")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64, unique=True)
    secret_encrypted = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"webhook of {self.workflow}"


class WebhookEvent(models.Model):
    """A request accepted by a webhook, stored before the 202 reply."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="+")
    # The Standard Webhooks `webhook-id` (or empty): a second request with it is a replay.
    message_id = models.CharField(max_length=255, blank=True, default="")
    headers = models.JSONField(default=dict)  # a safe subset: never secrets or signatures
    body = models.JSONField(null=True)
    content_type = models.CharField(max_length=100, blank=True, default="")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workflow", "message_id"],
                condition=~models.Q(message_id=""),
                name="unique_webhook_message",
            )
        ]

    def __str__(self) -> str:
        return f"webhook event {self.pk} of {self.workflow_id}"


class TriggerSource(models.TextChoices):
    RECORD = "record", "Record event"
    WEBHOOK = "webhook", "Webhook event"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DEFERRED = "deferred", "Deferred (rate limit)"
    DISPATCHED = "dispatched", "Dispatched to a run"


class TriggerBatch(models.Model):
    """Events of one workflow delivered to one run; its run key names its first event."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=20, choices=TriggerSource.choices)
    run_key = models.CharField(max_length=255, unique=True)
    job_name = models.CharField(max_length=255)
    version_id = models.BigIntegerField()  # the WorkflowVersion the run executes
    events = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["workflow", "created_at"])]

    def __str__(self) -> str:
        return self.run_key


class TriggerDelivery(models.Model):
    """One event matched by one workflow's trigger: pending, deferred, or in a batch."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=20, choices=TriggerSource.choices)
    event_id = models.BigIntegerField()
    status = models.CharField(
        max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    reason = models.CharField(max_length=255, blank=True, default="")
    batch = models.ForeignKey(
        TriggerBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Deferred deliveries wait until then (the rate limit's window has room again).
    available_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workflow", "source", "event_id"], name="unique_trigger_delivery"
            )
        ]
        indexes = [models.Index(fields=["source", "status", "event_id"])]

    def __str__(self) -> str:
        return f"{self.source} event {self.event_id} -> {self.workflow_id} ({self.status})"
