"""Every API operation is covered by a role test and a tenant-isolation test.

Contract: the OpenAPI schema's operations are exactly those of tests/api's role table plus the
table here (the trigger and live-events endpoints that landed after it); each of those answers
each role with the expected status (403 naming the permission when refused); every operation
that takes an id answers another tenant's admin 404 and changes nothing — by tests/api's
isolation table or the one here; list operations are covered by tests/api's list test.
"""

from __future__ import annotations

import re

import pytest

from crm.api.permissions import Perm
from crm.triggers.models import WebhookEndpoint
from crm.triggers.services import webhook_endpoint_create
from tests.api.conftest import (  # noqa: F401 - fixtures
    ApiClient,
    client_for,
    execution,
    reloads,
    workflow,
)
from tests.api.test_isolation import BY_ID as ISOLATION_BY_ID
from tests.api.test_roles import ROLES
from tests.api.test_roles import TABLE as ROLE_TABLE

ALL = dict.fromkeys(ROLES, 200)
EDITORS = ("admin", "editor")


def only(ok: int, *roles: str) -> dict[str, int]:
    return {role: ok if role in roles else 403 for role in ROLES}


WF = "/api/workflows/{wf}"
HOOKED = "/api/workflows/{hooked}"
# (method, path, body, needed permission or None, expected status per role)
TABLE = [
    ("get", HOOKED + "/webhook", None, None, ALL),
    ("post", WF + "/webhook", None, Perm.WORKFLOW_EDIT, only(201, *EDITORS)),
    ("post", HOOKED + "/webhook/rotate", {}, Perm.WORKFLOW_EDIT, only(200, *EDITORS)),
    ("get", WF + "/trigger/events", None, None, ALL),
    ("get", WF + "/schedule", None, None, dict.fromkeys(ROLES, 409)),  # not a schedule trigger
    ("get", "/api/executions/{ex}/events", None, None, ALL),
]
ISOLATION = [(method, path, body) for method, path, body, *_ in TABLE] + [
    ("get", "/api/approvals/{ap}", None),
    ("post", "/api/approvals/{ap}/decide", {"decision": "approve"}),
]
CONCRETE = {"/versions/1": "/versions/{n}", "/pipelines/deals": "/pipelines/{slug}"}


def template(path: str) -> str:
    """A path with every parameter spelled "{}", e.g. /api/workflows/{}/versions/{}."""
    for concrete, placeholder in CONCRETE.items():
        path = path.replace(concrete, placeholder)
    return re.sub(r"\{[^}]*\}", "{}", path)


def schema_operations() -> set[tuple[str, str]]:
    spec = ApiClient().get("/api/openapi.json").json()
    return {(method, path) for path, item in spec["paths"].items() for method in item}


def test_every_operation_has_a_role_row() -> None:
    operations = {(m, template(p)) for m, p in schema_operations()}
    covered = {(m, template(p)) for m, p, *_ in ROLE_TABLE} | {
        (m, template(p)) for m, p, *_ in TABLE
    }
    assert operations == covered


def test_every_operation_with_an_id_has_an_isolation_row() -> None:
    with_id = {(m, template(p)) for m, p in schema_operations() if "{" in p}
    covered = {(m, template(p)) for m, p, _ in ISOLATION_BY_ID} | {
        (m, template(p)) for m, p, _ in ISOLATION
    }
    assert with_id <= covered, sorted(with_id - covered)


@pytest.fixture
def hooked(tenant):
    """A published workflow of acme with a webhook."""
    from crm.workflows.services import workflow_create, workflow_publish
    from tests.api.conftest import VALID

    wf = workflow_create(tenant=tenant, name="Hooked", definition=VALID)
    workflow_publish(workflow=wf)
    webhook_endpoint_create(workflow=wf)
    return wf


@pytest.fixture
def approval(tenant, execution, make_user):  # noqa: F811
    """A pending approval of acme's execution, for the approver role."""
    from crm.workflows.approvals import approval_request

    make_user(tenant, "approver")
    return approval_request(
        tenant=tenant,
        execution_id=execution.pk,
        node_id="approve",
        title="Approve?",
        assign_to_role="approver",
    )


def _url(path: str, workflow, hooked, execution, approval=None) -> str:  # noqa: F811
    return path.format(
        wf=workflow.pk, hooked=hooked.pk, ex=execution.pk, ap=getattr(approval, "pk", None)
    )


def _call(client: ApiClient, method: str, url: str, body):
    response = client.call(method, url, body)
    if response.streaming:
        b"".join(response.streaming_content)  # the execution has finished: the stream ends
    return response


CASES = [
    pytest.param(method, path, body, perm, role, expected[role], id=f"{method} {path} {role}")
    for method, path, body, perm, expected in TABLE
    for role in ROLES
]


@pytest.mark.django_db
@pytest.mark.parametrize("method, path, body, perm, role, expected", CASES)
def test_role_table(
    method, path, body, perm, role, expected, tenant, client_for, workflow, hooked, execution  # noqa: F811
):  # fmt: skip
    response = _call(
        client_for(tenant, role), method, _url(path, workflow, hooked, execution), body
    )
    assert response.status_code == expected, response.content
    if expected == 403:
        assert f"'{perm.value}' permission" in response.json()["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize("method, path, body", ISOLATION, ids=[f"{m} {p}" for m, p, _ in ISOLATION])
def test_other_tenants_ids_are_not_found(
    method, path, body, other_tenant, client_for, workflow, hooked, execution, approval  # noqa: F811
):  # fmt: skip
    before = {e.pk: (e.key, e.secret_encrypted) for e in WebhookEndpoint.objects.all()}
    intruder = client_for(other_tenant, "admin")
    response = _call(intruder, method, _url(path, workflow, hooked, execution, approval), body)
    assert response.status_code == 404, response.content
    after = {e.pk: (e.key, e.secret_encrypted) for e in WebhookEndpoint.objects.all()}
    assert after == before
    approval.refresh_from_db()
    assert approval.approved is None and approval.approved_at is None
    assert "secret" not in response.json() or response.json().get("secret") is None
