"""Tenant isolation: a tenant can neither read, find, update nor delete another tenant's
records; the error names the id and says nothing about the other tenant."""

import pytest

from crm.records.errors import PipelineNotFound, RecordNotFound
from crm.records.models import Record, RecordEvent
from crm.records.selectors import record_find, record_get
from crm.records.services import record_create, record_delete, record_update


@pytest.fixture
def acme_record(tenant, deals):
    return record_create(tenant=tenant, pipeline=deals, data={"name": "Secret deal"})


@pytest.mark.django_db
def test_other_tenant_cannot_get(acme_record, other_tenant, other_deals):
    with pytest.raises(RecordNotFound) as caught:
        record_get(tenant=other_tenant, record_id=acme_record.pk)
    assert str(caught.value) == f"Record {acme_record.pk} does not exist."
    assert "acme" not in str(caught.value)


@pytest.mark.django_db
def test_other_tenant_cannot_update(acme_record, other_tenant, other_deals):
    with pytest.raises(RecordNotFound):
        record_update(tenant=other_tenant, record_id=acme_record.pk, data={"name": "pwned"})
    assert Record.objects.get(pk=acme_record.pk).data == {"name": "Secret deal"}
    assert RecordEvent.objects.count() == 1


@pytest.mark.django_db
def test_other_tenant_cannot_delete(acme_record, other_tenant, other_deals):
    with pytest.raises(RecordNotFound):
        record_delete(tenant=other_tenant, record_id=acme_record.pk)
    assert Record.objects.filter(pk=acme_record.pk).exists()


@pytest.mark.django_db
def test_other_tenant_finds_nothing(acme_record, other_tenant, other_deals):
    found = record_find(
        tenant=other_tenant,
        pipeline="deals",
        filters=[{"field": "name", "operator": "contains", "value": "secret"}],
    )
    assert found == []


@pytest.mark.django_db
def test_other_tenants_pipeline_is_unknown(acme_record, other_tenant, deals):
    with pytest.raises(PipelineNotFound):
        record_find(tenant=other_tenant, pipeline="deals")
    with pytest.raises(ValueError, match="another tenant"):
        record_create(tenant=other_tenant, pipeline=deals, data={})


@pytest.mark.django_db
def test_update_with_wrong_pipeline_slug(acme_record, tenant):
    with pytest.raises(RecordNotFound):
        record_update(tenant=tenant, record_id=acme_record.pk, data={"x": 1}, pipeline="leads")
