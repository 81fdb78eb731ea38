"""Edges of suspension: an execution that fails elsewhere cancels its approval; an assignee
who may not decide is a node error; the node type is in the catalogue."""

from __future__ import annotations

import pytest

from automation.launcher import run_now
from automation.nodes.registry import catalogue
from automation.resume import resume_pass
from crm.workflows.models import WorkflowApproval
from tests.automation.conftest import edge, node

from .conftest import approval_definition

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_failure_elsewhere_cancels_the_waiting_approval(publish, http_counter, deals,
                                                          client_for, tenant):  # fmt: skip
    definition = approval_definition(http_counter.url)
    definition["nodes"].append(node("refused", "http_request", {"url": "http://10.1.2.3/"}))
    definition["edges"].append(edge("start", "refused"))
    execution = run_now(workflow=publish(definition), wait=True)
    assert execution.status == "failed" and "refused" in execution.error_message
    approval = WorkflowApproval.objects.get()
    approver = client_for(tenant, "approver")
    assert approver.get(f"/api/approvals/{approval.pk}").json()["status"] == "canceled"
    response = approver.call(
        "post", f"/api/approvals/{approval.pk}/decide", {"decision": "approve"}
    )
    assert response.status_code == 409
    assert resume_pass()["launched"] == []


def test_an_assignee_who_may_not_decide_is_a_node_error(publish, http_counter, deals, make_user,
                                                        tenant):  # fmt: skip
    make_user(tenant, "viewer", username="acme_intern")
    definition = approval_definition(http_counter.url, {
        "assign_to_role": None, "assign_to_user": "acme_intern",
    })  # fmt: skip
    execution = run_now(workflow=publish(definition), wait=True)
    assert execution.status == "failed"
    assert "may not decide approvals" in execution.error_message
    assert not WorkflowApproval.objects.exists()


def test_the_catalogue_lists_the_approval_node():
    entry = next(item for item in catalogue()["node_types"] if item["type"] == "approval")
    assert entry["category"] == "human"
    assert entry["handles"] == ["approved", "rejected", "expired"]
    assert set(entry["config_schema"]["properties"]) >= {
        "title", "description", "assign_to_user", "assign_to_role", "data", "expires_in_hours",
    }  # fmt: skip
