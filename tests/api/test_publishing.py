"""Validate, publish, versions and rollback: validation answers 200 with coded issues; a valid
publish is a 201 with the next version number and asks Dagster to reload; an invalid one is a
422 with codes and node/edge ids and creates no version; rollback republishes an old version's
definition as a new version."""

from __future__ import annotations

import pytest

from crm.workflows.models import WorkflowVersion
from crm.workflows.services import workflow_create

from .conftest import INVALID, VALID

pytestmark = pytest.mark.django_db

V2 = {**VALID, "viewport": {"x": 10, "y": 0, "zoom": 1}}


@pytest.fixture
def editor(tenant, client_for):
    return client_for(tenant, "editor")


def test_validate_the_draft_or_a_given_definition(editor, tenant):
    draft = workflow_create(tenant=tenant, name="Draft", definition=INVALID)
    url = f"/api/workflows/{draft.pk}/validate"
    of_draft = editor.call("post", url)  # an empty body: the draft
    assert of_draft.status_code == 200 and of_draft.json()["ok"] is False
    codes = {(e["code"], e["node_id"], e["edge_id"]) for e in of_draft.json()["errors"]}
    assert ("graph.E002", "mystery", None) in codes
    assert ("graph.E004", None, "e-ghost") in codes
    assert set(of_draft.json()["errors"][0]) == {"code", "message", "node_id", "edge_id", "field"}
    given = editor.call("post", url, {"definition": VALID})
    assert given.status_code == 200 and given.json() == {"ok": True, "errors": []}
    assert editor.call("post", url, {"definition": {"nodes": "x"}}).json()["ok"] is False
    assert editor.call("post", url, {"definition": "not an object"}).status_code == 422
    assert not draft.versions.exists()


def test_publish_numbers_versions_and_requests_a_reload(editor, tenant, reloads):
    draft = workflow_create(tenant=tenant, name="Draft", definition=VALID)
    url = f"/api/workflows/{draft.pk}/publish"
    first = editor.call("post", url)
    assert first.status_code == 201, first.content
    assert first.json()["number"] == 1 and first.json()["definition"] == VALID
    assert first.json()["published_by"] == editor.user.username
    second = editor.call("post", url, {"definition": V2})
    assert second.status_code == 201 and second.json()["number"] == 2
    assert second.json()["definition"] == V2
    assert reloads.count(2) == 2
    assert reloads.requests[0]["variables"] == {"name": "automation"}
    detail = editor.get(f"/api/workflows/{draft.pk}").json()
    assert (detail["status"], detail["current_version"], detail["definition"]) == ("active", 2, V2)


def test_an_invalid_publish_is_a_422_with_codes_and_creates_no_version(editor, workflow, reloads):
    response = editor.call("post", f"/api/workflows/{workflow.pk}/publish", {"definition": INVALID})
    assert response.status_code == 422
    body = response.json()
    assert "invalid" in body["detail"]
    found = {(e["code"], e["node_id"], e["edge_id"]) for e in body["errors"]}
    assert {("graph.E002", "mystery", None), ("graph.E004", None, "e-ghost")} <= found
    assert all(set(e) == {"code", "message", "node_id", "edge_id", "field"} for e in body["errors"])
    assert WorkflowVersion.objects.filter(workflow=workflow).count() == 1
    assert reloads.count(0) == 0
    workflow.refresh_from_db()
    assert workflow.workflow_definition == VALID  # the draft is unchanged too


def test_an_invalid_draft_cannot_be_published(editor, tenant):
    draft = workflow_create(tenant=tenant, name="Bad", definition=INVALID)
    assert editor.call("post", f"/api/workflows/{draft.pk}/publish").status_code == 422
    assert not draft.versions.exists()


def test_an_archived_workflow_is_not_published(editor, workflow):
    editor.delete(f"/api/workflows/{workflow.pk}")
    response = editor.call("post", f"/api/workflows/{workflow.pk}/publish")
    assert response.status_code == 409 and "archived" in response.json()["detail"]


def test_versions_list_and_detail(editor, workflow):
    editor.call("post", f"/api/workflows/{workflow.pk}/publish", {"definition": V2})
    listed = editor.get(f"/api/workflows/{workflow.pk}/versions").json()
    assert [v["number"] for v in listed] == [2, 1]
    assert listed[0]["settings"]["retry_count"] == 3 and "definition" not in listed[0]
    one = editor.get(f"/api/workflows/{workflow.pk}/versions/1").json()
    assert one["definition"] == VALID and one["workflow_id"] == str(workflow.pk)
    assert editor.get(f"/api/workflows/{workflow.pk}/versions/9").status_code == 404


def test_rollback_publishes_the_old_definition_as_a_new_version(editor, workflow, reloads):
    editor.call("post", f"/api/workflows/{workflow.pk}/publish", {"definition": V2})
    response = editor.call("post", f"/api/workflows/{workflow.pk}/versions/1/rollback")
    assert response.status_code == 201
    assert response.json()["number"] == 3 and response.json()["definition"] == VALID
    versions = {v.number: v.definition for v in workflow.versions.all()}
    assert versions == {1: VALID, 2: V2, 3: VALID}
    assert editor.get(f"/api/workflows/{workflow.pk}").json()["definition"] == VALID
    assert reloads.count(2) == 2
    assert (
        editor.call("post", f"/api/workflows/{workflow.pk}/versions/7/rollback").status_code == 404
    )


def test_an_unreachable_dagster_webserver_does_not_fail_the_publish(editor, workflow, settings):
    settings.DAGSTER_WEBSERVER_URL = "http://127.0.0.1:9"  # nothing listens there
    assert editor.call("post", f"/api/workflows/{workflow.pk}/publish").status_code == 201


def test_version_numbers_out_of_range_are_refused(editor, workflow):
    for number in ("0", str(2**31)):
        url = f"/api/workflows/{workflow.pk}/versions/{number}"
        assert editor.get(url).status_code == 422
        assert editor.call("post", url + "/rollback").status_code == 422
