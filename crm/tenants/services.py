"""Tenant writes: memberships, encrypted secrets and AI settings."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction

from .crypto import encrypt
from .models import Membership, Role, Tenant, TenantAISettings, TenantSecret

_AI_FIELDS = frozenset(
    f.name for f in TenantAISettings._meta.get_fields() if f.name not in ("id", "tenant")
) - {"api_key_encrypted"}


@transaction.atomic
def membership_set(*, tenant: Tenant, user: Any, role: str) -> Membership:
    """Give the user `role` in the tenant (creating or changing the membership)."""
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(Role.values)}")
    membership, _ = Membership.objects.update_or_create(
        tenant=tenant, user=user, defaults={"role": role}
    )
    return membership


@transaction.atomic
def secret_set(*, tenant: Tenant, name: str, value: str) -> TenantSecret:
    """Store (or replace) a named secret, encrypted."""
    if not value:
        raise ValueError("a secret value cannot be empty")
    try:
        validate_slug(name)
    except ValidationError:
        raise ValueError(
            f"invalid secret name {name!r}: use letters, digits, hyphens and underscores"
        ) from None
    secret, _ = TenantSecret.objects.update_or_create(
        tenant=tenant, name=name, defaults={"value_encrypted": encrypt(value)}
    )
    return secret


@transaction.atomic
def ai_settings_set(
    *, tenant: Tenant, api_key: str | None = None, **fields: Any
) -> TenantAISettings:
    """Create or change the tenant's AI settings; `api_key` (when given) is stored encrypted."""
    unknown = set(fields) - _AI_FIELDS
    if unknown:
        raise ValueError(f"unknown AI settings: {', '.join(sorted(unknown))}")
    ai, _ = TenantAISettings.objects.select_for_update().get_or_create(tenant=tenant)
    for name, value in fields.items():
        setattr(ai, name, value)
    if api_key is not None:
        ai.api_key_encrypted = encrypt(api_key) if api_key else ""
    ai.full_clean()
    ai.save()
    return ai
