"""The CRM resources are real Dagster resources whose clients are scoped to one tenant.

Contract: each resource builds through Dagster (`build_resources`) with its config;
`for_tenant` returns a client bound to that tenant (the HTTP client carries the tenant's
allow-list, loaded synchronously); an unknown tenant is a "tenant_not_found" NodeError;
secrets are read per tenant and a missing one is "secret_not_found".
"""

from __future__ import annotations

import asyncio

import dagster as dg
import pytest

from automation.nodes.base import NodeError, TenantRef
from crm.tenants.services import secret_set
from crm_resources.http import GuardedHttpClient, HttpResource
from crm_resources.notify import NotifyResource
from crm_resources.records import RecordsResource
from crm_resources.secrets import SecretsResource
from crm_resources.tenancy import tenant_ref


@pytest.mark.django_db
def test_resources_build_through_dagster(tenant) -> None:
    tenant.http_allowed_hosts = ["10.0.0.0/8", "intranet.local"]
    tenant.save()
    resources = {
        "records": RecordsResource(),
        "http": HttpResource(max_redirects=2),
        "secrets": SecretsResource(),
        "notify": NotifyResource(),
    }
    with dg.build_resources(resources) as built:
        client = built.http.for_tenant(tenant_ref(tenant))
        assert isinstance(client, GuardedHttpClient)
        assert client.max_redirects == 2
        assert client.allow.hosts == frozenset({"intranet.local"})
        assert built.records.for_tenant(tenant_ref(tenant)).tenant == tenant


@pytest.mark.django_db
def test_unknown_tenant(tenant) -> None:
    for ref in (TenantRef(id=tenant.pk + 100, slug="acme"), TenantRef(id=tenant.pk, slug="x")):
        with pytest.raises(NodeError) as failed:
            HttpResource().for_tenant(ref)
        assert failed.value.error_type == "tenant_not_found"


@pytest.mark.django_db(transaction=True)
def test_secrets_are_per_tenant(tenant, other_tenant) -> None:
    secret_set(tenant=other_tenant, name="api-key", value="theirs")
    secret_set(tenant=tenant, name="own-key", value="ours")
    client = SecretsResource().for_tenant(tenant_ref(tenant))
    assert client.get("own-key") == "ours"
    assert asyncio.run(client.aget("own-key")) == "ours"
    with pytest.raises(NodeError) as failed:
        client.get("api-key")
    assert failed.value.error_type == "secret_not_found"
    assert "theirs" not in str(failed.value)
