"""Admin for pipelines, records (written through the services, so events are kept) and events."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet

from crm.tenants.admin_scoping import ReadOnlyAdmin, TenantConsistencyForm, TenantScopedAdmin

from .models import Pipeline, Record, RecordEvent, RecordWriteKey
from .services import record_create, record_delete, record_update


def _preview(data: object, limit: int = 80) -> str:
    text = json.dumps(data, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class RecordForm(TenantConsistencyForm):
    def clean_data(self) -> dict:
        data = self.cleaned_data["data"]
        if not isinstance(data, dict):
            raise forms.ValidationError('Record data must be a JSON object, e.g. {"name": "x"}.')
        return data


@admin.register(Pipeline)
class PipelineAdmin(TenantScopedAdmin):
    list_display = ["slug", "name", "tenant"]
    list_filter = [("tenant", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["slug", "name"]


@admin.register(Record)
class RecordAdmin(TenantScopedAdmin):
    form = RecordForm
    list_display = ["id", "tenant", "pipeline", "data_preview", "updated_at"]
    list_filter = [
        ("tenant", admin.RelatedOnlyFieldListFilter),
        ("pipeline", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["=id", "data"]
    list_select_related = ["tenant", "pipeline"]
    readonly_fields = ["created_by", "created_at", "updated_at"]

    @admin.display(description="data")
    def data_preview(self, obj: Record) -> str:
        return _preview(obj.data)

    def get_readonly_fields(self, request, obj=None):
        moved = ["tenant", "pipeline"] if obj is not None else []
        return [*moved, *self.readonly_fields]

    def save_model(self, request, obj: Record, form, change: bool) -> None:
        if change:
            record_update(
                tenant=obj.tenant, record_id=obj.pk, data=obj.data, actor=request.user, replace=True
            )
            return
        created = record_create(
            tenant=obj.tenant, pipeline=obj.pipeline, data=obj.data, actor=request.user
        )
        obj.pk, obj.created_by = created.pk, created.created_by
        obj.created_at, obj.updated_at = created.created_at, created.updated_at

    def delete_model(self, request, obj: Record) -> None:
        record_delete(tenant=obj.tenant, record_id=obj.pk, actor=request.user)

    @transaction.atomic
    def delete_queryset(self, request, queryset: QuerySet) -> None:
        for record in queryset.select_related("tenant"):
            record_delete(tenant=record.tenant, record_id=record.pk, actor=request.user)


@admin.register(RecordEvent)
class RecordEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "tenant", "pipeline", "record_id", "actor", "created_at"]
    list_filter = [("tenant", admin.RelatedOnlyFieldListFilter), "kind"]
    search_fields = ["=record_id"]
    list_select_related = ["tenant", "pipeline", "actor"]


@admin.register(RecordWriteKey)
class RecordWriteKeyAdmin(ReadOnlyAdmin):
    list_display = ["execution_id", "node_id", "item_key", "tenant", "created_at"]
    list_filter = [("tenant", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["=execution_id", "node_id"]
    list_select_related = ["tenant"]
