"""The secrets resource: a tenant's named secrets, decrypted only in memory."""

from __future__ import annotations

import dagster as dg
from asgiref.sync import sync_to_async

from automation.nodes.base import NodeError, TenantRef

from .tenancy import load_tenant


class SecretsClient:
    """Reads one tenant's secrets; never logs their values."""

    def __init__(self, tenant: TenantRef):
        self.tenant_ref = tenant

    def get(self, name: str) -> str:
        """The secret's value, or NodeError(secret_not_found)."""
        from crm.tenants.errors import SecretNotFound
        from crm.tenants.selectors import secret_get

        try:
            return secret_get(tenant=load_tenant(self.tenant_ref), name=name)
        except SecretNotFound as exc:
            raise NodeError(
                f"secret {name!r} is not set for this tenant; add it in the tenant settings",
                error_type="secret_not_found",
            ) from exc
        except ValueError as exc:  # stored with another encryption key
            raise NodeError(str(exc), error_type="secret_unreadable") from exc

    async def aget(self, name: str) -> str:
        """`get` from async code (the ORM runs in a worker thread)."""
        return await sync_to_async(self.get, thread_sensitive=True)(name)


class SecretsResource(dg.ConfigurableResource):
    """Tenant secrets for nodes (e.g. webhook signing secrets)."""

    def for_tenant(self, tenant: TenantRef) -> SecretsClient:
        """A client for the tenant's secrets."""
        return SecretsClient(tenant)
