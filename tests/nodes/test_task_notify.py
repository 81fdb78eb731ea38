"""The task_notify node creates CRM tasks for a tenant member or a role.

Contract: a task for a member of the tenant (output {"task_id", "assigned_to"}) or for a
role (output {"task_id", "assigned_role"}), with the execution and node recorded and an
optional due time; a user of another tenant is refused ("user_not_in_tenant") and no task
is created.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from automation.nodes.base import NodeError
from crm.workflows.models import Task, WorkflowExecution

from .conftest import make_ctx, run_node

pytestmark = pytest.mark.django_db


def test_task_for_user(tenant, make_user) -> None:
    make_user(tenant, "editor", username="ada")
    execution = WorkflowExecution.objects.create(tenant=tenant)
    ctx = make_ctx(tenant, "task_notify", execution_id=str(execution.pk))
    result = run_node(ctx, {
        "title": "Call the customer", "body": "Deal 7", "assign_to_user": "ada",
        "priority": "high", "due_in_hours": 2,
    })
    task = Task.objects.get(pk=result.output["task_id"])
    assert result.output == {"task_id": task.pk, "assigned_to": "ada"}
    assert task.tenant_id == tenant.pk and task.assigned_to.username == "ada"
    assert (task.priority, task.node_id, task.execution_id) == ("high", "node_1", execution.pk)
    assert abs(task.due_at - (timezone.now() + timedelta(hours=2))) < timedelta(minutes=1)


def test_notification_for_role(tenant) -> None:
    result = run_node(make_ctx(tenant, "task_notify"), {
        "kind": "notification", "title": "Deal won", "assign_to_role": "approver",
    })
    task = Task.objects.get(pk=result.output["task_id"])
    assert result.output == {"task_id": task.pk, "assigned_role": "approver"}
    assert (task.kind, task.assigned_to, task.due_at) == ("notification", None, None)


def test_user_of_another_tenant_refused(tenant, other_tenant, make_user) -> None:
    make_user(other_tenant, "editor", username="eve")
    with pytest.raises(NodeError) as failed:
        run_node(make_ctx(tenant, "task_notify"), {"title": "x", "assign_to_user": "eve"})
    assert failed.value.error_type == "user_not_in_tenant"
    assert not Task.objects.exists()
