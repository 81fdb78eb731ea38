"""Workflow writes: drafts, publishing immutable versions, and tasks."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Max

from crm.tenants.errors import NotAMember
from crm.tenants.models import Role, Tenant
from crm.tenants.selectors import user_role

from .errors import InvalidFailureHandler, WorkflowValidationError
from .executions import (  # noqa: F401  (execution recording is part of this service layer)
    execution_create,
    execution_finish,
    execution_set_worker,
    execution_start,
    failure_handler_execution_claim,
    node_log_finish,
    node_log_start,
)
from .models import (
    Task,
    Workflow,
    WorkflowExecution,
    WorkflowStatus,
    WorkflowTriggerType,
    WorkflowVersion,
)

TASK_KINDS = ("task", "notification")
TASK_PRIORITIES = ("low", "normal", "high")


def _check_definition(definition: Any) -> dict[str, Any]:
    if not isinstance(definition, dict):
        raise ValueError(
            f"a workflow definition must be a JSON object, not {type(definition).__name__}"
        )
    return definition


@transaction.atomic
def workflow_create(
    *,
    tenant: Tenant,
    name: str,
    description: str = "",
    definition: dict[str, Any] | None = None,
    created_by: Any = None,
    trigger_type: str = WorkflowTriggerType.MANUAL,
    trigger_config: dict[str, Any] | None = None,
    retry_count: int = 3,
    timeout_minutes: int = 60,
    max_executions_per_hour: int = 100,
) -> Workflow:
    """Create a draft workflow."""
    workflow = Workflow(
        tenant=tenant,
        name=name,
        description=description,
        workflow_definition=_check_definition(definition if definition is not None else {}),
        created_by=created_by,
        trigger_type=trigger_type,
        trigger_config=trigger_config or {},
        retry_count=retry_count,
        timeout_minutes=timeout_minutes,
        max_executions_per_hour=max_executions_per_hour,
    )
    workflow.full_clean()
    workflow.save()
    return workflow


@transaction.atomic
def workflow_update_draft(*, workflow: Workflow, definition: dict[str, Any]) -> Workflow:
    """Replace the draft definition (published versions are unaffected)."""
    workflow.workflow_definition = _check_definition(definition)
    workflow.save(update_fields=["workflow_definition", "updated_at"])
    return workflow


@transaction.atomic
def workflow_set_status(*, workflow: Workflow, status: str) -> Workflow:
    """Activate, pause or archive a workflow."""
    if status not in WorkflowStatus.values:
        expected = ", ".join(WorkflowStatus.values)
        raise ValueError(f"unknown workflow status {status!r}; expected one of {expected}")
    workflow.status = status
    workflow.save(update_fields=["status", "updated_at"])
    return workflow


@transaction.atomic
def workflow_set_failure_handler(*, workflow: Workflow, handler: Workflow | None) -> Workflow:
    """Name the workflow started when an execution of `workflow` fails for good (None: no one).

    Raises InvalidFailureHandler when `handler` is `workflow` itself or of another tenant.
    """
    workflow.failure_handler = handler
    problem = workflow.failure_handler_problem()
    if problem is not None:
        workflow.refresh_from_db(fields=["failure_handler"])
        raise InvalidFailureHandler(problem)
    workflow.save(update_fields=["failure_handler", "updated_at"])
    return workflow


def _apply_trigger(workflow: Workflow, graph: Any) -> None:
    """Check the trigger the version will run with; a trigger node that names its
    trigger_type is the trigger, and the workflow's trigger fields then mirror it."""
    from pydantic import ValidationError

    from automation.graph_factory.errors import E_INVALID_CONFIG
    from automation.graph_factory.paths import pydantic_issues
    from automation.nodes.trigger import WORKFLOW_TYPE_OF_KIND, effective_trigger

    node = graph.nodes[graph.trigger_id]
    raw = node.raw_config or {}
    try:
        trigger = effective_trigger(raw, workflow.trigger_type, workflow.trigger_config)
    except ValidationError as exc:
        issues = [
            {"code": E_INVALID_CONFIG, "message": message, "node_id": node.id, "field": path}
            for path, message in pydantic_issues(exc, workflow.trigger_config, "trigger_config")
        ]
        raise WorkflowValidationError(issues) from None
    if "trigger_type" in raw:
        kind = trigger.trigger_type
        workflow.trigger_type = WORKFLOW_TYPE_OF_KIND.get(kind, kind)
        workflow.trigger_config = trigger.model_dump(
            mode="json", exclude={"sample_payload", "trigger_type"}, exclude_unset=True
        )


@transaction.atomic
def workflow_publish(
    *, workflow: Workflow, user: Any = None, definition: dict[str, Any] | None = None
) -> WorkflowVersion:
    """Validate the definition (the draft unless given) and publish it as the next version.

    Raises WorkflowValidationError, creating nothing, when the definition is invalid.
    """
    from automation.graph_factory.validate import validate_definition

    # Locking the workflow row serialises publishers, so version numbers never collide.
    locked = Workflow.objects.select_for_update().get(pk=workflow.pk)
    if definition is None:
        definition = locked.workflow_definition
    report = validate_definition(_check_definition(definition))
    if not report.ok:
        raise WorkflowValidationError([issue.as_dict() for issue in report.errors])
    _apply_trigger(locked, report.graph)
    last = locked.versions.aggregate(last=Max("number"))["last"] or 0
    version = WorkflowVersion.objects.create(
        workflow=locked,
        number=last + 1,
        definition=definition,
        settings={
            "retry_count": locked.retry_count,
            "timeout_minutes": locked.timeout_minutes,
            "max_executions_per_hour": locked.max_executions_per_hour,
            "trigger_type": locked.trigger_type,
            "trigger_config": locked.trigger_config,
        },
        published_by=user,
    )
    locked.workflow_definition = definition
    locked.status = WorkflowStatus.ACTIVE
    locked.save(
        update_fields=[
            "workflow_definition",
            "status",
            "trigger_type",
            "trigger_config",
            "updated_at",
        ]
    )
    workflow.workflow_definition, workflow.status = definition, locked.status
    workflow.trigger_type, workflow.trigger_config = locked.trigger_type, locked.trigger_config
    return version


@transaction.atomic
def task_create(
    *,
    tenant: Tenant,
    title: str,
    body: str = "",
    kind: str = "task",
    assigned_to: Any = None,
    assigned_role: str = "",
    priority: str = "normal",
    due_at: datetime | None = None,
    execution_id: UUID | str | None = None,
    node_id: str = "",
) -> Task:
    """Create a task or notification for a member of the tenant or for every holder of a role."""
    if kind not in TASK_KINDS:
        raise ValueError(f"task kind must be one of {TASK_KINDS}, not {kind!r}")
    if priority not in TASK_PRIORITIES:
        raise ValueError(f"task priority must be one of {TASK_PRIORITIES}, not {priority!r}")
    if assigned_role and assigned_role not in Role.values:
        raise ValueError(f"unknown role {assigned_role!r}")
    if assigned_to is None and not assigned_role:
        raise ValueError("a task needs an assignee: a user or a role")
    if assigned_to is not None and user_role(user=assigned_to, tenant=tenant) is None:
        raise NotAMember(assigned_to.get_username())
    if (
        execution_id is not None
        and not WorkflowExecution.objects.filter(pk=execution_id, tenant=tenant).exists()
    ):
        raise ValueError(f"execution {execution_id} does not exist in this tenant")
    return Task.objects.create(
        tenant=tenant,
        title=title,
        body=body,
        kind=kind,
        assigned_to=assigned_to,
        assigned_role=assigned_role,
        priority=priority,
        due_at=due_at,
        execution_id=execution_id,
        node_id=node_id,
    )
