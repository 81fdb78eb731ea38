"""Record nodes create, update and find records through the records resource, per tenant.

Contract: record_create returns {"record"}; record_update merges fields and returns
{"record", "changed_fields"}; record_find returns {"records", "count"} filtered, sorted and
limited. A tenant's node never sees or changes another tenant's records (a foreign id is
"record_not_found" and the record stays unchanged); unknown pipelines and bad filters are
NodeErrors with their own error_type.
"""

from __future__ import annotations

import pytest

from automation.nodes.base import NodeError
from crm.records.models import Record
from crm.records.services import record_create

from .conftest import make_ctx, run_node

pytestmark = pytest.mark.django_db


def run(tenant, node_type: str, **config):
    return run_node(make_ctx(tenant, node_type), config)


def test_create_update_find(tenant, deals) -> None:
    created = run(tenant, "record_create", pipeline="deals", data={"name": "Acme", "amount": 10})
    record = created.output["record"]
    assert record["pipeline"] == "deals" and record["data"] == {"name": "Acme", "amount": 10}
    assert Record.objects.get(pk=record["id"]).tenant_id == tenant.pk

    updated = run(
        tenant, "record_update", pipeline="deals", record_id=record["id"], data={"amount": 25}
    ).output
    assert updated["record"]["data"] == {"name": "Acme", "amount": 25}
    assert updated["changed_fields"] == {"amount": {"old": 10, "new": 25}}

    run(tenant, "record_create", pipeline="deals", data={"name": "Beta", "amount": 50})
    run(tenant, "record_create", pipeline="deals", data={"name": "Gamma", "amount": 5})
    found = run(
        tenant, "record_find", pipeline="deals",
        filters=[{"field": "amount", "operator": ">=", "value": 10}],
        sort_by="amount", sort_direction="desc", limit=10,
    ).output
    assert found["count"] == 2
    assert [r["data"]["name"] for r in found["records"]] == ["Beta", "Acme"]
    limited = run(tenant, "record_find", pipeline="deals", limit=1).output
    assert limited["count"] == 1


def test_cannot_update_or_find_other_tenants_records(tenant, deals, other_tenant, other_deals):
    theirs = record_create(tenant=other_tenant, pipeline="deals", data={"name": "Secret"})
    with pytest.raises(NodeError) as failed:
        run(tenant, "record_update", pipeline="deals", record_id=theirs.pk, data={"name": "x"})
    assert failed.value.error_type == "record_not_found"
    theirs.refresh_from_db()
    assert theirs.data == {"name": "Secret"}
    found = run(tenant, "record_find", pipeline="deals").output
    assert found == {"records": [], "count": 0}


def test_errors(tenant, deals) -> None:
    cases = [
        ("record_create", {"pipeline": "nope", "data": {}}, "pipeline_not_found"),
        ("record_update", {"pipeline": "deals", "record_id": 999999, "data": {"a": 1}},
         "record_not_found"),
        ("record_find", {"pipeline": "deals", "filters": [{"field": "a__b", "value": 1}]},
         "invalid_input"),
    ]
    for node_type, config, error_type in cases:
        with pytest.raises(NodeError) as failed:
            run(tenant, node_type, **config)
        assert failed.value.error_type == error_type, node_type


def test_update_in_wrong_pipeline_is_not_found(tenant, deals) -> None:
    from crm.records.models import Pipeline

    Pipeline.objects.create(tenant=tenant, slug="leads", name="Leads")
    record = record_create(tenant=tenant, pipeline="deals", data={"name": "A"})
    with pytest.raises(NodeError) as failed:
        run(tenant, "record_update", pipeline="leads", record_id=record.pk, data={"name": "B"})
    assert failed.value.error_type == "record_not_found"
