"""Admin for workflows, their read-only versions, execution mirrors, approvals and tasks."""

from __future__ import annotations

import json

from django.contrib import admin
from django.utils.html import format_html

from crm.tenants.admin_scoping import ReadOnlyAdmin, TenantScopedAdmin
from crm.tenants.models import Tenant

from .models import (
    Task,
    Workflow,
    WorkflowApproval,
    WorkflowExecution,
    WorkflowExecutionLog,
    WorkflowSuspension,
    WorkflowVersion,
)

TENANT_FILTER = ("tenant", admin.RelatedOnlyFieldListFilter)


def _pretty(value: object) -> str:
    text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return format_html("<pre>{}</pre>", text)


@admin.register(Workflow)
class WorkflowAdmin(TenantScopedAdmin):
    list_display = ["name", "tenant", "status", "trigger_type", "updated_at"]
    list_filter = [TENANT_FILTER, "status", "trigger_type"]
    search_fields = ["name", "description"]
    list_select_related = ["tenant"]
    readonly_fields = ["created_by", "created_at", "updated_at"]

    def save_model(self, request, obj: Workflow, form, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(WorkflowVersion)
class WorkflowVersionAdmin(ReadOnlyAdmin):
    tenant_path = "workflow__tenant"
    list_display = ["workflow", "number", "tenant", "published_by", "published_at"]
    list_filter = [("workflow__tenant", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["workflow__name"]
    list_select_related = ["workflow__tenant", "published_by"]
    fields = readonly_fields = [
        "workflow",
        "number",
        "published_by",
        "published_at",
        "settings_json",
        "definition_json",
    ]

    @admin.display(ordering="workflow__tenant__slug")
    def tenant(self, obj: WorkflowVersion) -> Tenant:
        return obj.workflow.tenant

    @admin.display(description="settings")
    def settings_json(self, obj: WorkflowVersion) -> str:
        return _pretty(obj.settings)

    @admin.display(description="definition")
    def definition_json(self, obj: WorkflowVersion) -> str:
        return _pretty(obj.definition)


@admin.register(WorkflowExecution)
class WorkflowExecutionAdmin(ReadOnlyAdmin):
    list_display = ["id", "tenant", "workflow", "status", "source", "started_at", "completed_at"]
    list_filter = [TENANT_FILTER, "status", "source"]
    search_fields = ["=id", "=dagster_run_id", "workflow__name"]
    list_select_related = ["tenant", "workflow"]


@admin.register(WorkflowExecutionLog)
class WorkflowExecutionLogAdmin(ReadOnlyAdmin):
    tenant_path = "execution__tenant"
    list_display = [
        "node_id",
        "node_type",
        "tenant",
        "status",
        "attempt",
        "item_index",
        "duration_ms",
        "started_at",
    ]
    list_filter = [("execution__tenant", admin.RelatedOnlyFieldListFilter), "status", "node_type"]
    search_fields = ["=execution__id", "node_id", "node_name"]
    list_select_related = ["execution__tenant"]

    @admin.display(ordering="execution__tenant__slug")
    def tenant(self, obj: WorkflowExecutionLog) -> Tenant:
        return obj.execution.tenant


@admin.register(WorkflowApproval)
class WorkflowApprovalAdmin(ReadOnlyAdmin):
    """Read-only: decisions go through the approval service, which resumes the execution."""

    list_display = [
        "title",
        "tenant",
        "node_id",
        "assigned_to",
        "assigned_role",
        "approved",
        "requested_at",
    ]
    list_filter = [TENANT_FILTER, "approved", "assigned_role"]
    search_fields = ["title", "node_id"]
    list_select_related = ["tenant", "assigned_to"]


@admin.register(WorkflowSuspension)
class WorkflowSuspensionAdmin(ReadOnlyAdmin):
    """Read-only: suspended nodes (approvals, long waits) and their continuation runs."""

    list_display = [
        "node_id",
        "kind",
        "tenant",
        "state",
        "resolution",
        "due_at",
        "created_at",
        "continuation_run_id",
    ]
    list_filter = [TENANT_FILTER, "kind", "state"]
    search_fields = ["node_id", "parent_run_id", "continuation_run_id"]
    list_select_related = ["tenant"]


@admin.register(Task)
class TaskAdmin(TenantScopedAdmin):
    list_display = [
        "title",
        "tenant",
        "kind",
        "assigned_to",
        "assigned_role",
        "priority",
        "status",
        "due_at",
    ]
    list_filter = [TENANT_FILTER, "kind", "status", "priority"]
    search_fields = ["title", "body"]
    list_select_related = ["tenant", "assigned_to"]
    readonly_fields = ["execution", "node_id", "created_at"]
