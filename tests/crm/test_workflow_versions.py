"""Publishing: versions are numbered 1, 2, 3... even under concurrent publishers, copy the
workflow's settings, are immutable once saved, and the latest active ones are served."""

import threading

import pytest
from django.db import connection

from crm.workflows.errors import VersionImmutable
from crm.workflows.models import Workflow, WorkflowVersion
from crm.workflows.selectors import workflow_versions_to_serve
from crm.workflows.services import (
    workflow_create,
    workflow_publish,
    workflow_set_status,
    workflow_update_draft,
)

DRAFT = {"nodes": [{"id": "trigger", "type": "trigger", "data": {}}], "edges": []}


@pytest.fixture
def workflow(tenant):
    return workflow_create(
        tenant=tenant,
        name="Intake",
        definition=DRAFT,
        retry_count=5,
        timeout_minutes=7,
        trigger_type="scheduled",
        trigger_config={"cron": "0 9 * * *"},
    )


@pytest.mark.django_db
def test_versions_are_numbered_and_copy_settings(workflow, make_user):
    user = make_user(workflow.tenant, "editor")
    first = workflow_publish(workflow=workflow, user=user)
    workflow_update_draft(workflow=workflow, definition={**DRAFT, "viewport": {"zoom": 2}})
    second = workflow_publish(workflow=workflow)
    assert (first.number, second.number) == (1, 2)
    assert first.definition == DRAFT and second.definition["viewport"] == {"zoom": 2}
    assert first.published_by == user
    assert first.settings == {
        "retry_count": 5,
        "timeout_minutes": 7,
        "max_executions_per_hour": 100,
        "trigger_type": "scheduled",
        "trigger_config": {"cron": "0 9 * * *"},
    }
    assert Workflow.objects.get(pk=workflow.pk).status == "active"
    assert workflow.current_version == second


@pytest.mark.django_db
def test_a_given_definition_becomes_the_draft(workflow):
    given = {**DRAFT, "edges": [], "viewport": {"x": 1}}
    version = workflow_publish(workflow=workflow, definition=given)
    assert version.definition == given
    assert Workflow.objects.get(pk=workflow.pk).workflow_definition == given


@pytest.mark.django_db
def test_a_saved_version_cannot_change(workflow):
    version = workflow_publish(workflow=workflow)
    version.definition = {"nodes": [], "edges": []}
    with pytest.raises(VersionImmutable):
        version.save()
    fresh = WorkflowVersion.objects.get(pk=version.pk)
    with pytest.raises(VersionImmutable):
        fresh.save()
    assert WorkflowVersion.objects.get(pk=version.pk).definition == DRAFT


@pytest.mark.django_db
def test_draft_edits_do_not_touch_published_versions(workflow):
    version = workflow_publish(workflow=workflow)
    workflow_update_draft(workflow=workflow, definition={"nodes": [], "edges": []})
    assert WorkflowVersion.objects.get(pk=version.pk).definition == DRAFT
    with pytest.raises(ValueError, match="JSON object"):
        workflow_update_draft(workflow=workflow, definition=[])


@pytest.mark.django_db(transaction=True)
def test_concurrent_publishers_get_distinct_numbers(tenant):
    workflow = workflow_create(tenant=tenant, name="Busy", definition=DRAFT)
    barrier, errors = threading.Barrier(4), []

    def publish() -> None:
        try:
            barrier.wait()
            workflow_publish(workflow=Workflow.objects.get(pk=workflow.pk))
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=publish) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = sorted(workflow.versions.values_list("number", flat=True))
    assert numbers == [1, 2, 3, 4]


@pytest.mark.django_db
def test_serve_the_latest_version_of_active_workflows(tenant, other_tenant):
    active = workflow_create(tenant=tenant, name="A", definition=DRAFT)
    workflow_publish(workflow=active)
    latest = workflow_publish(workflow=active)
    paused = workflow_create(tenant=other_tenant, name="P", definition=DRAFT)
    workflow_publish(workflow=paused)
    workflow_set_status(workflow=paused, status="paused")
    workflow_create(tenant=tenant, name="Draft only", definition=DRAFT)
    served = workflow_versions_to_serve()
    assert served == [latest]
    with pytest.raises(ValueError, match="unknown workflow status"):
        workflow_set_status(workflow=paused, status="deleted")
