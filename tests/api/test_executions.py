"""Executions: the list filters by workflow, status, source and time, newest first, in pages;
the detail has the version number, the Dagster run link and per-node logs; error stack traces
are shown only to operators and admins."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from crm.workflows.models import WorkflowExecution
from crm.workflows.services import workflow_create, workflow_publish

from .conftest import VALID, make_execution

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer(tenant, client_for):
    return client_for(tenant, "viewer")


def test_list_filters_and_order(viewer, tenant, workflow):
    other = workflow_create(tenant=tenant, name="Other", definition=VALID)
    workflow_publish(workflow=other)
    old = make_execution(workflow, status="success", source="schedule")
    WorkflowExecution.objects.filter(pk=old.pk).update(
        started_at=timezone.now() - timedelta(days=3)
    )
    failed = make_execution(workflow, status="failed", source="api")
    elsewhere = make_execution(other, status="success", source="api")

    def ids(query: str = "") -> list[str]:
        response = viewer.get(f"/api/executions{query}")
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    assert ids() == [str(elsewhere.pk), str(failed.pk), str(old.pk)]  # newest first
    assert ids(f"?workflow_id={workflow.pk}") == [str(failed.pk), str(old.pk)]
    assert ids("?status=failed") == [str(failed.pk)]
    assert ids("?source=schedule") == [str(old.pk)]
    since = (timezone.now() - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert ids(f"?since={since}") == [str(elsewhere.pk), str(failed.pk)]
    assert ids(f"?until={since}") == [str(old.pk)]
    assert ids("?limit=1&offset=1") == [str(failed.pk)]
    assert viewer.get("/api/executions?status=exploded").status_code == 422
    assert viewer.get("/api/executions?since=yesterday").status_code == 422
    assert viewer.get("/api/executions?workflow_id=nope").status_code == 422
    item = viewer.get("/api/executions?status=failed").json()["items"][0]
    assert (item["workflow_name"], item["version_number"], item["error"]) == ("Greeter", 1, "boom")


def test_detail_has_node_logs_and_the_dagster_link(viewer, execution, settings):
    detail = viewer.get(f"/api/executions/{execution.pk}").json()
    assert detail["status"] == "failed" and detail["version_number"] == 1
    assert detail["trigger_data"] == {"who": "Ada"} and detail["error"] == "boom"
    assert detail["dagster_run_id"] == "run-123"
    assert detail["dagster_run_url"] == f"{settings.DAGSTER_UI_URL.rstrip('/')}/runs/run-123"
    assert detail["duration_ms"] >= 0 and detail["completed_at"] is not None
    start, note = detail["logs"]
    assert (start["node_id"], start["type"], start["label"], start["status"]) == (
        "start",
        "trigger",
        "Start",
        "success",
    )
    assert start["output"] == {"who": "Ada"} and start["output_handle"] == "out"
    assert (note["status"], note["attempt"], note["input"]) == ("failed", 2, {"who": "Ada"})
    assert note["duration_ms"] is not None and note["started_at"] and note["completed_at"]


@pytest.mark.parametrize(
    "role, sees_stack",
    [
        ("admin", True),
        ("operator", True),
        ("editor", False),
        ("approver", False),
        ("viewer", False),
    ],
)
def test_stack_traces_only_for_operators_and_admins(
    role, sees_stack, tenant, client_for, execution
):
    detail = client_for(tenant, role).get(f"/api/executions/{execution.pk}").json()
    error = detail["logs"][1]["error"]
    assert error["message"] == "boom" and error["error_type"] == "RuntimeError"
    assert ("stack" in error) is sees_stack
    if sees_stack:
        assert error["stack"] == "Traceback: boom"


def test_unknown_execution_is_404(viewer):
    assert viewer.get("/api/executions/00000000-0000-0000-0000-000000000000").status_code == 404
