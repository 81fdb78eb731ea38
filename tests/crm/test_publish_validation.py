"""Publishing validates with the graph validator: an invalid definition raises
WorkflowValidationError carrying coded issues and creates no version; a valid one publishes."""

import pytest

from crm.workflows.errors import WorkflowValidationError
from crm.workflows.models import Workflow, WorkflowVersion
from crm.workflows.services import workflow_create, workflow_publish

VALID = {
    "nodes": [
        {
            "id": "start",
            "type": "trigger",
            "position": {"x": 0, "y": 0},
            "data": {"label": "Start", "config": {}},
        },
        {
            "id": "tell",
            "type": "task_notify",
            "position": {"x": 0, "y": 100},
            "data": {"label": "Tell", "config": {"title": "Hello", "assign_to_role": "editor"}},
        },
    ],
    "edges": [{"id": "e1", "source": "start", "target": "tell"}],
}
UNKNOWN_TYPE = {
    "nodes": [
        VALID["nodes"][0],
        {
            "id": "beam",
            "type": "teleport",
            "position": {"x": 0, "y": 100},
            "data": {"label": "Beam", "config": {}},
        },
    ],
    "edges": [{"id": "e1", "source": "start", "target": "beam"}],
}


@pytest.mark.django_db
def test_valid_definition_is_published(tenant):
    workflow = workflow_create(tenant=tenant, name="Hello", definition=VALID)
    version = workflow_publish(workflow=workflow)
    assert version.number == 1 and version.definition == VALID


@pytest.mark.django_db
def test_invalid_definition_creates_no_version(tenant):
    workflow = workflow_create(tenant=tenant, name="Broken", definition=UNKNOWN_TYPE)
    with pytest.raises(WorkflowValidationError) as caught:
        workflow_publish(workflow=workflow)
    assert any(
        issue["code"] == "graph.E002" and issue.get("node_id") == "beam"
        for issue in caught.value.errors
    )
    assert not WorkflowVersion.objects.exists()
    assert Workflow.objects.get(pk=workflow.pk).status == "draft"


@pytest.mark.django_db
def test_invalid_given_definition_leaves_the_draft(tenant):
    workflow = workflow_create(tenant=tenant, name="Hello", definition=VALID)
    with pytest.raises(WorkflowValidationError):
        workflow_publish(workflow=workflow, definition=UNKNOWN_TYPE)
    assert Workflow.objects.get(pk=workflow.pk).workflow_definition == VALID
