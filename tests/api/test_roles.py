"""Role × endpoint table: every API operation answers each role with the expected status, and
a refusal is a 403 naming the permission needed (run-now really runs, waiting for the end)."""

from __future__ import annotations

import pytest

from crm.api.permissions import ROLE_PERMISSIONS, Perm

from .conftest import ApiClient

ROLES = ("admin", "editor", "operator", "approver", "viewer")
ALL = dict.fromkeys(ROLES, 200)


def only(ok: int, *roles: str) -> dict[str, int]:
    return {role: ok if role in roles else 403 for role in ROLES}


EDITORS = ("admin", "editor")
RUNNERS = ("admin", "editor", "operator")
WF = "/api/workflows/{wf}"
RECORDS = "/api/pipelines/deals/records"
RECORD = "/api/records/{rec}"
# (method, path, body, needed permission or None, expected status per role)
TABLE = [
    ("get", "/api/me", None, None, ALL),
    ("get", "/api/catalogue", None, None, ALL),
    ("get", "/api/workflows", None, None, ALL),
    ("post", "/api/workflows", {"name": "New"}, Perm.WORKFLOW_EDIT, only(201, *EDITORS)),
    ("get", WF, None, None, ALL),
    ("patch", WF, {"description": "d"}, Perm.WORKFLOW_EDIT, only(200, *EDITORS)),
    ("delete", WF, None, Perm.WORKFLOW_EDIT, only(204, *EDITORS)),
    ("post", WF + "/validate", {}, Perm.WORKFLOW_VALIDATE, only(200, *EDITORS)),
    ("post", WF + "/publish", {}, Perm.WORKFLOW_PUBLISH, only(201, *EDITORS)),
    ("get", WF + "/versions", None, None, ALL),
    ("get", WF + "/versions/1", None, None, ALL),
    ("post", WF + "/versions/1/rollback", {}, Perm.WORKFLOW_PUBLISH, only(201, *EDITORS)),
    ("post", WF + "/run", {"payload": {}, "wait": True}, Perm.WORKFLOW_RUN, only(200, *RUNNERS)),
    ("get", "/api/executions", None, None, ALL),
    ("get", "/api/executions/{ex}", None, None, ALL),
    ("get", "/api/executions/{ex}/events", None, None, ALL),
    ("get", "/api/pipelines", None, None, ALL),
    ("get", RECORDS, None, None, ALL),
    ("post", RECORDS, {"data": {"a": 1}}, Perm.RECORD_WRITE, only(201, *EDITORS)),
    ("get", RECORD, None, None, ALL),
    ("patch", RECORD, {"data": {"a": 2}}, Perm.RECORD_WRITE, only(200, *EDITORS)),
    ("delete", RECORD, None, Perm.RECORD_WRITE, only(204, *EDITORS)),
    # Triggers (the fixture workflow is manual, without a webhook).
    ("get", WF + "/webhook", None, None, dict.fromkeys(ROLES, 404)),
    ("post", WF + "/webhook", {}, Perm.WORKFLOW_EDIT, only(201, *EDITORS)),
    ("post", WF + "/webhook/rotate", {}, Perm.WORKFLOW_EDIT, only(404, *EDITORS)),
    ("get", WF + "/schedule", None, None, dict.fromkeys(ROLES, 409)),
    ("get", WF + "/trigger/events", None, None, ALL),
    # Approvals (the fixture approval is assigned to the role deciding it, or to approvers).
    ("get", "/api/approvals", None, None, ALL),
    ("get", "/api/approvals/{ap}", None, None, ALL),
    ("post", "/api/approvals/{ap}/decide", {"decision": "approve"}, Perm.APPROVAL_DECIDE,
     only(200, "admin", "approver")),
]  # fmt: skip

CASES = [
    pytest.param(method, path, body, perm, role, expected[role], id=f"{method} {path} {role}")
    for method, path, body, perm, expected in TABLE
    for role in ROLES
]
RUN_CASES = [case for case in CASES if case.values[1].endswith("/run")]
OTHER_CASES = [case for case in CASES if not case.values[1].endswith("/run")]


@pytest.fixture
def approval(tenant, execution, role):
    """A pending approval of the fixture execution, assigned to `role` when it may decide."""
    from crm.workflows.approvals import approval_request

    return approval_request(
        tenant=tenant,
        execution_id=execution.pk,
        node_id="approve",
        title="Approve?",
        assign_to_role=role if role in ("admin", "approver") else "approver",
    )


def _check(client, method, path, body, perm, expected, workflow, execution, record, approval):
    url = path.format(wf=workflow.pk, ex=execution.pk, rec=record.pk, ap=approval.pk)
    response = client.call(method, url, body)
    assert response.status_code == expected, response.content
    if expected == 403:
        assert f"'{perm.value}' permission" in response.json()["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize("method, path, body, perm, role, expected", OTHER_CASES)
def test_role_table(
    method, path, body, perm, role, expected, tenant, client_for, workflow, execution, record,
    approval,
):  # fmt: skip
    client = client_for(tenant, role)
    _check(client, method, path, body, perm, expected, workflow, execution, record, approval)


@pytest.mark.django_db(transaction=True)  # run-now executes the real run in a worker thread
@pytest.mark.parametrize("method, path, body, perm, role, expected", RUN_CASES)
def test_role_table_run_now(
    method, path, body, perm, role, expected, tenant, client_for, workflow, execution, record,
    approval,
):  # fmt: skip
    client = client_for(tenant, role)
    _check(client, method, path, body, perm, expected, workflow, execution, record, approval)


def test_the_table_covers_every_operation_of_the_schema():
    spec = ApiClient().get("/api/openapi.json").json()
    operations = {(method, path) for path, item in spec["paths"].items() for method in item}
    names = {
        "{wf}": "{workflow_id}",
        "{ex}": "{execution_id}",
        "{rec}": "{record_id}",
        "{ap}": "{approval_id}",
        "/versions/1": "/versions/{number}",
        "/pipelines/deals": "/pipelines/{slug}",
    }

    def template(path: str) -> str:
        for concrete, placeholder in names.items():
            path = path.replace(concrete, placeholder)
        return path

    assert operations == {(method, template(path)) for method, path, *_ in TABLE}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_me_exposes_the_role_and_its_permissions(role, tenant, client_for):
    body = client_for(tenant, role).get("/api/me").json()
    assert body["role"] == role and body["tenant"]["slug"] == "acme" and body["auth"] == "token"
    assert set(body["permissions"]) == {perm.value for perm in ROLE_PERMISSIONS[role]}


def test_the_permission_table_matches_the_brief():
    can = {role: {p.value for p in perms} for role, perms in ROLE_PERMISSIONS.items()}
    assert can["admin"] == {p.value for p in Perm}
    assert {"workflow.publish", "workflow.edit", "record.write"} <= can["editor"]
    assert "workflow.publish" not in can["operator"] | can["approver"] | can["viewer"]
    assert {r for r in can if "workflow.run" in can[r]} == {"admin", "editor", "operator"}
    assert {r for r in can if "execution.stack" in can[r]} == {"admin", "operator"}
    assert {r for r in can if "record.write" in can[r]} == {"admin", "editor"}
    assert {r for r in can if "approval.decide" in can[r]} == {"admin", "approver"}
    assert {r for r in can if "members.manage" in can[r]} == {"admin"}
    assert all("workflow.read" in perms and "execution.read" in perms for perms in can.values())
