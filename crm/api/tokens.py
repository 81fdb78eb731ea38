"""API token services: create (the key is shown once), revoke, and look up by key."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from crm.tenants.errors import NotAMember
from crm.tenants.models import Tenant
from crm.tenants.selectors import user_role

from .models import ApiToken

KEY_PREFIX = "crm_"
PREFIX_LENGTH = 12
# last_used_at is refreshed at most this often, so busy clients don't write on every call.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_key(key: str) -> str:
    """The sha256 hex digest stored for a key."""
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: Any, tenant: Tenant, name: str = "") -> tuple[ApiToken, str]:
    """Create a token for a member of the tenant; return it and the key (never stored)."""
    if user_role(user=user, tenant=tenant) is None:
        raise NotAMember(user.get_username())
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, tenant=tenant, name=name, prefix=key[:PREFIX_LENGTH], key_hash=hash_key(key)
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke the token (idempotent); it stays listed for audit."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(*, key: str) -> ApiToken | None:
    """The active token with this key (its user active), or None; records its last use."""
    if not key:
        return None
    token = (
        ApiToken.objects.select_related("user", "tenant")
        .filter(key_hash=hash_key(key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
