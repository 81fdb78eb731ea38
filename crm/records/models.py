"""Pipelines, records (JSON data) and the record-event outbox."""

from django.conf import settings
from django.db import models

from crm.tenants.models import Tenant


class Pipeline(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="pipelines")
    slug = models.SlugField(max_length=100)
    name = models.CharField(max_length=255)
    # Optional field declarations: [{"name": "stage", "type": "text"}, ...]
    fields = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "slug"], name="unique_pipeline_slug")
        ]

    def __str__(self) -> str:
        return f"{self.tenant}/{self.slug}"


class Record(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="records")
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="records")
    data = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "pipeline"])]

    def __str__(self) -> str:
        return f"{self.pipeline} #{self.pk}"


class RecordEventKind(models.TextChoices):
    CREATED = "record_created", "Record created"
    UPDATED = "record_updated", "Record updated"
    DELETED = "record_deleted", "Record deleted"


class RecordEvent(models.Model):
    """Outbox row written in the same transaction as the record change it describes."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="record_events")
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="+")
    record_id = models.BigIntegerField()
    kind = models.CharField(max_length=20, choices=RecordEventKind.choices)
    data = models.JSONField(default=dict)  # the record's data after the change
    # {"field": {"old": ..., "new": ...}} for updates
    changed_fields = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["id", "tenant"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.pipeline} #{self.record_id}"


class RecordWriteKey(models.Model):
    """A record write done once per key (a workflow's execution, node and item), with the
    result it returned: a retried or re-executed step gets the stored result, not a second
    write."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64, unique=True)  # sha256 of the parts below
    execution_id = models.CharField(max_length=64, blank=True, default="")
    node_id = models.CharField(max_length=255, blank=True, default="")
    item_key = models.CharField(max_length=255, blank=True, default="")
    result = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.execution_id}/{self.node_id}/{self.item_key}"
