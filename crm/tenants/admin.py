"""Admin for tenants, memberships, AI settings and secrets (secret values are write-only)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin

from .admin_scoping import TenantConsistencyForm, TenantScopedAdmin
from .crypto import encrypt
from .models import Membership, Tenant, TenantAISettings, TenantSecret


def _write_only(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=help_text,
    )


class SecretForm(TenantConsistencyForm):
    """The value is never shown; a new value is encrypted, a blank one keeps the stored value."""

    value = _write_only("Value", "Write-only. Leave blank to keep the stored value.")

    class Meta:
        model = TenantSecret
        fields = ["tenant", "name"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not cleaned.get("value") and not self.instance.value_encrypted:
            self.add_error("value", "A new secret needs a value.")
        return cleaned

    def save(self, commit: bool = True) -> TenantSecret:
        if self.cleaned_data.get("value"):
            self.instance.value_encrypted = encrypt(self.cleaned_data["value"])
        return super().save(commit=commit)


class AISettingsForm(TenantConsistencyForm):
    """The API key is never shown; a new key is encrypted, a blank one keeps the stored key."""

    base_url = forms.URLField(max_length=500, assume_scheme="http", label="Base URL")
    api_key = _write_only("API key", "Write-only. Leave blank to keep the stored key.")
    clear_api_key = forms.BooleanField(label="Remove the stored key", required=False)

    class Meta:
        model = TenantAISettings
        exclude = ["api_key_encrypted"]

    def save(self, commit: bool = True) -> TenantAISettings:
        if self.cleaned_data.get("clear_api_key"):
            self.instance.api_key_encrypted = ""
        elif self.cleaned_data.get("api_key"):
            self.instance.api_key_encrypted = encrypt(self.cleaned_data["api_key"])
        return super().save(commit=commit)


@admin.register(Tenant)
class TenantAdmin(TenantScopedAdmin):
    tenant_path = "pk"
    list_display = ["slug", "name", "created_at"]
    search_fields = ["slug", "name"]

    def has_add_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser


@admin.register(Membership)
class MembershipAdmin(TenantScopedAdmin):
    list_display = ["user", "tenant", "role"]
    list_filter = [("tenant", admin.RelatedOnlyFieldListFilter), "role"]
    search_fields = ["user__username", "tenant__slug"]
    list_select_related = ["user", "tenant"]


@admin.register(TenantAISettings)
class TenantAISettingsAdmin(TenantScopedAdmin):
    form = AISettingsForm
    list_display = ["tenant", "model", "base_url", "has_api_key"]
    list_filter = [("tenant", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["tenant__slug", "model"]

    @admin.display(boolean=True, description="API key set")
    def has_api_key(self, obj: TenantAISettings) -> bool:
        return bool(obj.api_key_encrypted)


@admin.register(TenantSecret)
class TenantSecretAdmin(TenantScopedAdmin):
    form = SecretForm
    list_display = ["name", "tenant", "created_at"]
    list_filter = [("tenant", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "tenant__slug"]
