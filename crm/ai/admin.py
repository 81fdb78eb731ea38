"""Admin for AI usage and monthly totals (read-only) and the models a tenant allows."""

from __future__ import annotations

from django.contrib import admin

from crm.tenants.admin_scoping import TenantScopedAdmin

from .models import AIAllowedModel, AIMonthlyUsage, AIUsage


@admin.register(AIUsage)
class AIUsageAdmin(TenantScopedAdmin):
    list_display = [
        "created_at", "tenant", "workflow_id", "execution_id", "node_id", "model",
        "prompt_tokens", "completion_tokens", "total_tokens", "attempts",
    ]
    list_filter = [("tenant", admin.RelatedOnlyFieldListFilter), "model"]
    search_fields = ["workflow_id", "execution_id", "node_id"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # spent tokens stay spent: the monthly totals count every row


@admin.register(AIMonthlyUsage)
class AIMonthlyUsageAdmin(TenantScopedAdmin):
    list_display = ["month", "tenant", "total_tokens"]
    list_filter = [("tenant", admin.RelatedOnlyFieldListFilter)]
    ordering = ["-month"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AIAllowedModel)
class AIAllowedModelAdmin(TenantScopedAdmin):
    list_display = ["name", "tenant"]
    list_filter = [("tenant", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "tenant__slug"]
