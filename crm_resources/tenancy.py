"""Loading the CRM tenant a tenant-scoped client works for."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from automation.nodes.base import NodeError, TenantRef

if TYPE_CHECKING:
    from crm.tenants.models import Tenant


def load_tenant(ref: TenantRef) -> Tenant:
    """The Tenant row for a TenantRef (id and slug must both match); sync only."""
    from crm.tenants.models import Tenant

    try:
        return Tenant.objects.get(pk=ref.id, slug=ref.slug)
    except Tenant.DoesNotExist:
        raise NodeError(
            f"tenant {ref.slug!r} (id {ref.id}) does not exist", error_type="tenant_not_found"
        ) from None


def tenant_ref(tenant: Tenant) -> TenantRef:
    """The TenantRef of a Tenant row."""
    return TenantRef(id=tenant.pk, slug=tenant.slug)


class TenantClient:
    """A resource's client for one tenant: the tenant's row is loaded on first use (sync: the
    Django ORM), and every query the client makes is scoped to it."""

    def __init__(self, tenant: TenantRef):
        self.tenant_ref = tenant

    @cached_property
    def tenant(self) -> Tenant:
        return load_tenant(self.tenant_ref)
