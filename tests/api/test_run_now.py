"""Run now through the API, for real (Dagster instance, in-process executor): 202 with the
execution and its Dagster run, or 200 with the finished execution when waiting; workflows that
are not published, paused or archived are a 409 with the reason."""

from __future__ import annotations

import time

import pytest

from automation.instance import get_instance
from crm.workflows.models import Task, WorkflowExecution
from crm.workflows.services import workflow_create, workflow_set_status

from .conftest import VALID

pytestmark = pytest.mark.django_db(transaction=True)  # the run reads the CRM from a thread


@pytest.fixture
def operator(tenant, client_for):
    return client_for(tenant, "operator")


def test_run_and_wait_returns_the_finished_execution(operator, workflow):
    body = {"payload": {"who": "Ada"}, "wait": True}
    response = operator.call("post", f"/api/workflows/{workflow.pk}/run", body)
    assert response.status_code == 200, response.content
    detail = response.json()
    assert detail["status"] == "success" and detail["version_number"] == 1
    assert detail["trigger_data"] == {"who": "Ada"}
    assert [(log["node_id"], log["status"]) for log in detail["logs"]] == [
        ("start", "success"),
        ("note", "success"),
    ]
    assert detail["dagster_run_url"].endswith(f"/runs/{detail['dagster_run_id']}")
    assert get_instance().get_run_by_id(detail["dagster_run_id"]).tags["tenant"] == "acme"
    assert Task.objects.get().title == "hi Ada"
    assert WorkflowExecution.objects.get().triggered_by == operator.user


def test_run_returns_202_at_once_and_the_run_finishes(operator, workflow):
    response = operator.call("post", f"/api/workflows/{workflow.pk}/run", {})
    assert response.status_code == 202, response.content
    started = response.json()
    assert set(started) == {"execution_id", "status", "dagster_run_id", "dagster_run_url"}
    assert started["status"] in {"pending", "running", "success"}
    for _ in range(300):
        detail = operator.get(f"/api/executions/{started['execution_id']}").json()
        if detail["status"] == "success":
            break
        time.sleep(0.1)
    assert detail["status"] == "success" and detail["trigger_data"] == {"who": "sample"}
    assert Task.objects.get().title == "hi sample"


def test_unpublished_paused_and_archived_workflows_do_not_run(operator, tenant, workflow):
    draft = workflow_create(tenant=tenant, name="Draft", definition=VALID)
    refused = operator.call("post", f"/api/workflows/{draft.pk}/run", {})
    assert refused.status_code == 409 and "no published version" in refused.json()["detail"]
    for status in ("paused", "archived"):
        workflow_set_status(workflow=workflow, status=status)
        refused = operator.call("post", f"/api/workflows/{workflow.pk}/run", {})
        assert refused.status_code == 409 and status in refused.json()["detail"]
    assert not WorkflowExecution.objects.exists()


def test_bad_run_input_is_refused(operator, workflow):
    url = f"/api/workflows/{workflow.pk}/run"
    assert operator.call("post", url, {"payload": [1, 2]}).status_code == 422
    assert operator.call("post", url, {"wait": "later"}).status_code == 422
    assert not WorkflowExecution.objects.exists()
