"""Tenant-aware admin: staff who are not superusers see and pick only their tenants' objects.

A staff user administers the tenants where they hold the admin role; Django model
permissions still decide what they may view or change.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Model, QuerySet

from .models import Tenant
from .selectors import tenants_administered_by


def _scoped(model: type[Model], site: admin.AdminSite, tenants: QuerySet) -> QuerySet | None:
    """`model`'s objects within `tenants`, or None when the model is not tenant-scoped."""
    manager = model._default_manager
    if model is Tenant:
        return tenants
    if model is get_user_model():
        return manager.filter(memberships__tenant__in=tenants).distinct()
    model_admin = site._registry.get(model)
    path = getattr(model_admin, "tenant_path", None)
    return None if path is None else manager.filter(**{f"{path}__in": tenants})


class TenantConsistencyForm(forms.ModelForm):
    """Refuses links to objects of another tenant than the edited object's."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        tenant = cleaned.get("tenant") or getattr(self.instance, "tenant", None)
        if isinstance(tenant, Tenant):
            for name, value in cleaned.items():
                other = getattr(value, "tenant_id", None)
                if name != "tenant" and other is not None and other != tenant.pk:
                    self.add_error(name, "This belongs to another tenant.")
        return cleaned


class TenantScopedAdmin(admin.ModelAdmin):
    """Filters the changelist, the objects and the foreign-key choices to the user's tenants."""

    tenant_path = "tenant"  # ORM path from the model to its Tenant
    form = TenantConsistencyForm

    def tenants(self, request) -> QuerySet:
        return tenants_administered_by(user=request.user)

    def get_queryset(self, request) -> QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.tenant_path}__in": self.tenants(request)}).distinct()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not request.user.is_superuser:
            scoped = _scoped(db_field.related_model, self.admin_site, self.tenants(request))
            if scoped is not None:
                kwargs["queryset"] = scoped
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReadOnlyAdmin(TenantScopedAdmin):
    """Viewing only: the rows are written by services (outbox, versions, run mirrors)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
