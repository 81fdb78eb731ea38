"""Tenant isolation: a tenant B admin gets 404 for every tenant A id through every endpoint that
takes one, and B's lists never show A's objects (nor do A's writes reach B)."""

from __future__ import annotations

import pytest

from crm.records.models import Record, RecordEvent
from crm.workflows.models import Workflow, WorkflowVersion

pytestmark = pytest.mark.django_db

WF = "/api/workflows/{wf}"
BY_ID = [
    ("get", WF, None),
    ("patch", WF, {"description": "taken over"}),
    ("delete", WF, None),
    ("post", WF + "/validate", {}),
    ("post", WF + "/publish", {}),
    ("get", WF + "/versions", None),
    ("get", WF + "/versions/1", None),
    ("post", WF + "/versions/1/rollback", {}),
    ("post", WF + "/run", {"payload": {}}),
    ("get", "/api/executions/{ex}", None),
    ("get", "/api/pipelines/{pipeline}/records", None),
    ("post", "/api/pipelines/{pipeline}/records", {"data": {"x": 1}}),
    ("get", "/api/records/{rec}", None),
    ("patch", "/api/records/{rec}", {"data": {"x": 1}}),
    ("delete", "/api/records/{rec}", None),
]


@pytest.fixture
def intruder(other_tenant, client_for):
    """An admin of tenant globex (every permission, so only tenancy can refuse)."""
    return client_for(other_tenant, "admin")


@pytest.fixture
def acme_only_pipeline(tenant):
    from crm.records.models import Pipeline

    return Pipeline.objects.create(tenant=tenant, slug="acme-secret", name="Secret")


@pytest.mark.parametrize("method, path, body", BY_ID, ids=[f"{m} {p}" for m, p, _ in BY_ID])
def test_other_tenants_ids_are_not_found(
    method, path, body, intruder, workflow, execution, record, acme_only_pipeline
):
    url = path.format(
        wf=workflow.pk, ex=execution.pk, rec=record.pk, pipeline=acme_only_pipeline.slug
    )
    response = intruder.call(method, url, body)
    assert response.status_code == 404, response.content
    workflow.refresh_from_db()
    assert workflow.status == "active" and workflow.description == ""
    assert WorkflowVersion.objects.filter(workflow=workflow).count() == 1
    assert Record.objects.filter(pk=record.pk).exists()
    assert workflow.executions.count() == 1


def test_lists_never_show_other_tenants_objects(
    intruder, other_tenant, other_deals, workflow, execution, record, acme_only_pipeline
):
    for path in ("/api/workflows", "/api/executions", f"/api/executions?workflow_id={workflow.pk}"):
        body = intruder.get(path).json()
        assert body == {"items": [], "count": 0, "limit": 50, "offset": 0}, path
    assert [p["slug"] for p in intruder.get("/api/pipelines").json()] == ["deals"]
    # Both tenants have a "deals" pipeline: B sees only its own records in it.
    assert intruder.get("/api/pipelines/deals/records").json()["count"] == 0
    assert intruder.get("/api/workflows?status=active").json()["count"] == 0


def test_writes_stay_in_the_callers_tenant(intruder, other_tenant, other_deals, workflow, record):
    created = intruder.call("post", "/api/pipelines/deals/records", {"data": {"x": 1}}).json()
    assert Record.objects.get(pk=created["id"]).tenant == other_tenant
    assert RecordEvent.objects.filter(tenant=other_tenant).count() == 1
    made = intruder.call("post", "/api/workflows", {"name": "Greeter"})
    assert made.status_code == 201  # the same name as acme's workflow is fine in globex
    assert Workflow.objects.get(pk=made.json()["id"]).tenant == other_tenant
