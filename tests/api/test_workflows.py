"""Workflows CRUD: create with settings, list with status/q filters and pages (archived only on
ask), read, PATCH the draft/settings/status, DELETE archives (204, data kept); bad input is a
400/422 with a reason, never a 500."""

from __future__ import annotations

import pytest

from crm.workflows.models import Workflow
from crm.workflows.services import workflow_create

from .conftest import VALID

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(tenant, client_for):
    return client_for(tenant, "editor")


def test_create_returns_the_draft_with_its_settings(editor):
    body = {
        "name": "Intake",
        "description": "New deals",
        "definition": VALID,
        "trigger_type": "record_created",
        "settings": {"retry_count": 1, "timeout_minutes": 5, "max_executions_per_hour": 7},
    }
    response = editor.call("post", "/api/workflows", body)
    assert response.status_code == 201, response.content
    made = response.json()
    assert made["status"] == "draft" and made["current_version"] is None
    assert made["definition"] == VALID and made["trigger_type"] == "record_created"
    assert made["settings"] == {
        "retry_count": 1,
        "timeout_minutes": 5,
        "max_executions_per_hour": 7,
    }
    stored = Workflow.objects.get(pk=made["id"])
    assert stored.created_by == editor.user and stored.retry_count == 1


@pytest.mark.parametrize(
    "body, status",
    [
        ({}, 422),
        ({"name": ""}, 422),
        ({"name": "X", "trigger_type": "telepathy"}, 422),
        ({"name": "X", "definition": [1, 2]}, 422),
        ({"name": "X", "settings": {"retry_count": -1}}, 422),
        ({"name": "X", "settings": {"timeout_minutes": "soon"}}, 422),
    ],
)
def test_bad_create_input_is_refused_with_a_reason(editor, body, status):
    response = editor.call("post", "/api/workflows", body)
    assert response.status_code == status and response.json()["detail"]


def test_a_duplicate_name_is_a_422_naming_the_problem(editor, workflow):
    response = editor.call("post", "/api/workflows", {"name": "Greeter"})
    assert response.status_code == 422 and "already exists" in response.json()["detail"]


def test_not_json_is_a_400(editor):
    response = editor.post("/api/workflows", data="{nope", content_type="application/json")
    assert response.status_code in (400, 422)


def test_list_filters_by_status_and_text_and_pages(editor, tenant, workflow):
    for index in range(3):
        workflow_create(tenant=tenant, name=f"Draft {index}", description="lead scoring")
    archived = workflow_create(tenant=tenant, name="Old")
    editor.delete(f"/api/workflows/{archived.pk}")
    everything = editor.get("/api/workflows").json()
    assert everything["count"] == 4 and "Old" not in {w["name"] for w in everything["items"]}
    assert editor.get("/api/workflows?status=archived").json()["items"][0]["name"] == "Old"
    active = editor.get("/api/workflows?status=active").json()["items"]
    assert [(w["name"], w["current_version"]) for w in active] == [("Greeter", 1)]
    assert editor.get("/api/workflows?q=SCORING").json()["count"] == 3
    first = editor.get("/api/workflows?q=scoring&limit=2").json()
    rest = editor.get("/api/workflows?q=scoring&limit=2&offset=2").json()
    assert (len(first["items"]), len(rest["items"]), first["count"]) == (2, 1, 3)
    assert editor.get("/api/workflows?limit=0").status_code == 422
    assert editor.get("/api/workflows?status=sleeping").status_code == 422


def test_detail_includes_the_draft_definition(editor, workflow):
    detail = editor.get(f"/api/workflows/{workflow.pk}").json()
    assert detail["definition"] == VALID and detail["current_version"] == 1


def test_unknown_or_malformed_ids(editor):
    assert editor.get("/api/workflows/00000000-0000-0000-0000-000000000000").status_code == 404
    assert editor.get("/api/workflows/not-a-uuid").status_code == 422


def test_patch_edits_the_draft_name_settings_and_status(editor, workflow):
    url = f"/api/workflows/{workflow.pk}"
    draft = {**VALID, "viewport": {"x": 0, "y": 0, "zoom": 2}}
    body = {"name": "Greeter 2", "definition": draft, "settings": {"retry_count": 0}}
    changed = editor.call("patch", url, body).json()
    assert changed["name"] == "Greeter 2" and changed["definition"] == draft
    assert changed["settings"]["retry_count"] == 0 and changed["settings"]["timeout_minutes"] == 60
    assert workflow.versions.get().definition == VALID  # published versions are untouched
    assert editor.call("patch", url, {"status": "paused"}).json()["status"] == "paused"
    assert editor.call("patch", url, {"status": "active"}).json()["status"] == "active"
    assert editor.call("patch", url, {"status": "lost"}).status_code == 422


def test_a_workflow_without_version_cannot_be_activated(editor, tenant):
    draft = workflow_create(tenant=tenant, name="Draft")
    response = editor.call("patch", f"/api/workflows/{draft.pk}", {"status": "active"})
    assert response.status_code == 409 and "no version" in response.json()["detail"]
    assert Workflow.objects.get(pk=draft.pk).status == "draft"


def test_patch_rename_onto_an_existing_name_changes_nothing(editor, tenant, workflow):
    other = workflow_create(tenant=tenant, name="Other")
    body = {"name": "Greeter", "description": "changed"}
    response = editor.call("patch", f"/api/workflows/{other.pk}", body)
    assert response.status_code == 422
    assert Workflow.objects.get(pk=other.pk).description == ""


def test_delete_archives_and_keeps_the_data(editor, workflow, execution):
    response = editor.delete(f"/api/workflows/{workflow.pk}")
    assert response.status_code == 204 and response.content == b""
    kept = Workflow.objects.get(pk=workflow.pk)
    assert kept.status == "archived" and kept.versions.count() == 1
    assert kept.executions.count() == 1
    assert editor.get(f"/api/workflows/{workflow.pk}").json()["status"] == "archived"
    assert editor.delete(f"/api/workflows/{workflow.pk}").status_code == 204  # idempotent
