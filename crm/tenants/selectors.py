"""Reads of tenants, memberships and decrypted secrets."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from .crypto import decrypt
from .errors import AISettingsMissing, NotAMember, SecretNotFound
from .models import Membership, Role, Tenant, TenantAISettings, TenantSecret


def tenant_get(*, slug: str) -> Tenant:
    """The tenant with this slug (raises Tenant.DoesNotExist)."""
    return Tenant.objects.get(slug=slug)


def user_role(*, user: Any, tenant: Tenant) -> str | None:
    """The user's role in the tenant, or None when not a member."""
    if user is None or not getattr(user, "pk", None):
        return None
    return (
        Membership.objects.filter(tenant=tenant, user=user).values_list("role", flat=True).first()
    )


def users_with_role(*, tenant: Tenant, role: str) -> QuerySet:
    """Active users holding `role` in the tenant."""
    return (
        get_user_model()
        .objects.filter(memberships__tenant=tenant, memberships__role=role, is_active=True)
        .order_by("username")
    )


def user_in_tenant(*, tenant: Tenant, username: str) -> Any:
    """The member of the tenant with this username, or NotAMember."""
    user = (
        get_user_model()
        .objects.filter(username=username, memberships__tenant=tenant, is_active=True)
        .first()
    )
    if user is None:
        raise NotAMember(username)
    return user


def tenants_administered_by(*, user: Any) -> QuerySet:
    """Tenants where the user has the admin role (every tenant for a superuser)."""
    if user.is_superuser:
        return Tenant.objects.all()
    return Tenant.objects.filter(memberships__user=user, memberships__role=Role.ADMIN)


def secret_get(*, tenant: Tenant, name: str) -> str:
    """The decrypted value of a tenant secret, or SecretNotFound."""
    stored = (
        TenantSecret.objects.filter(tenant=tenant, name=name)
        .values_list("value_encrypted", flat=True)
        .first()
    )
    if stored is None:
        raise SecretNotFound(name)
    return decrypt(stored)


def ai_settings_get(*, tenant: Tenant) -> TenantAISettings:
    """The tenant's AI settings, or AISettingsMissing."""
    try:
        return TenantAISettings.objects.get(tenant=tenant)
    except TenantAISettings.DoesNotExist:
        raise AISettingsMissing() from None


def ai_settings_api_key(*, tenant: Tenant) -> str:
    """The decrypted AI API key of the tenant, or AISettingsMissing when none is set."""
    stored = ai_settings_get(tenant=tenant).api_key_encrypted
    if not stored:
        raise AISettingsMissing()
    return decrypt(stored)
