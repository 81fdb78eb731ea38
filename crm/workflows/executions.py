"""Execution recording services, called from Dagster ops and sensors."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils import timezone

from crm.tenants.models import Tenant

from .models import (
    ExecutionStatus,
    NodeStatus,
    Workflow,
    WorkflowExecution,
    WorkflowExecutionLog,
    WorkflowVersion,
)

OUTPUT_CAP_BYTES = 64 * 1024
TERMINAL_STATUSES = frozenset(
    {ExecutionStatus.SUCCESS, ExecutionStatus.FAILED, ExecutionStatus.CANCELED}
)


def capped_json(value: Any, cap: int = OUTPUT_CAP_BYTES) -> Any:
    """`value` as stored JSON; over `cap` bytes it becomes {"_truncated", "preview", "size"}."""
    return json.loads(capped_json_text(value, cap))


def capped_json_text(value: Any, cap: int = OUTPUT_CAP_BYTES) -> str:
    """The JSON text of `capped_json(value, cap)`."""
    text = json.dumps(value, default=str, ensure_ascii=False)
    if len(text) <= cap // 4:  # at most 4 bytes a character: fits without encoding
        return text
    encoded = text.encode()
    if len(encoded) <= cap:
        return text
    preview = encoded[:cap].decode(errors="ignore")
    return json.dumps(
        {"_truncated": True, "preview": preview, "size": len(encoded)}, ensure_ascii=False
    )


def _check_status(status: str, choices: type) -> str:
    if status not in choices.values:
        raise ValueError(f"unknown status {status!r}; expected one of {', '.join(choices.values)}")
    return status


@transaction.atomic
def execution_create(
    *,
    tenant: Tenant,
    workflow: Workflow | None = None,
    version: WorkflowVersion | None = None,
    source: str,
    trigger_data: dict[str, Any],
    triggered_by: Any = None,
    dagster_run_id: str = "",
) -> WorkflowExecution:
    """Record a new (pending) execution of a workflow version."""
    if workflow is None and version is not None:
        workflow = version.workflow
    if workflow is not None and workflow.tenant_id != tenant.pk:
        raise ValueError("the workflow belongs to another tenant")
    if version is not None and version.workflow_id != workflow.pk:
        raise ValueError("the version belongs to another workflow")
    return WorkflowExecution.objects.create(
        tenant=tenant,
        workflow=workflow,
        version=version,
        source=source,
        trigger_data=capped_json(trigger_data),
        triggered_by=triggered_by,
        dagster_run_id=dagster_run_id,
    )


@transaction.atomic
def execution_start(*, execution_id: UUID | str, dagster_run_id: str) -> WorkflowExecution:
    """Mark the execution running in this Dagster run (idempotent; a resume sets its run id)."""
    execution = WorkflowExecution.objects.select_for_update().get(pk=execution_id)
    if execution.status != ExecutionStatus.RUNNING or execution.dagster_run_id != dagster_run_id:
        execution.status = ExecutionStatus.RUNNING
        execution.dagster_run_id = dagster_run_id
        execution.completed_at = None
        execution.save(update_fields=["status", "dagster_run_id", "completed_at"])
    return execution


@transaction.atomic
def node_log_start(
    *,
    execution_id: UUID | str,
    node_id: str,
    node_type: str,
    node_name: str,
    attempt: int,
    input_data: Any,
    item_index: int | None = None,
) -> WorkflowExecutionLog:
    """Record that a node (attempt, item) started running; its input is capped like outputs.

    A node re-executed in a later run (retry from the Dagster UI) continues the attempt count,
    and replaces the "skipped" placeholder the earlier run's end left for it.
    """
    earlier = WorkflowExecutionLog.objects.filter(
        execution_id=execution_id, node_id=node_id, item_index=item_index
    )
    earlier.filter(status=NodeStatus.SKIPPED).delete()
    last = earlier.order_by("-attempt").values_list("attempt", flat=True).first()
    return WorkflowExecutionLog.objects.create(
        execution_id=execution_id,
        node_id=node_id,
        node_type=node_type,
        node_name=node_name,
        attempt=max(attempt, (last or 0) + 1),
        item_index=item_index,
        status=NodeStatus.RUNNING,
        started_at=timezone.now(),
        input_data=capped_json(input_data),
    )


@transaction.atomic
def node_log_finish(
    *,
    log_id: UUID | str,
    status: str,
    output_data: Any = None,
    output_handle: str = "",
    error_details: dict[str, Any] | None = None,
    execution_details: dict[str, Any] | None = None,
) -> WorkflowExecutionLog:
    """Record a node's outcome: status, capped output, handle taken, error and duration."""
    _check_status(status, NodeStatus)
    log = WorkflowExecutionLog.objects.select_for_update().get(pk=log_id)
    now = timezone.now()
    log.status = status
    log.completed_at = now
    if log.started_at is not None:
        log.duration_ms = max(0, int((now - log.started_at).total_seconds() * 1000))
    log.output_data = None if output_data is None else capped_json(output_data)
    log.output_handle = output_handle
    log.error_details = None if error_details is None else capped_json(error_details)
    if execution_details is not None:
        log.execution_details = capped_json(execution_details)
    log.save()
    return log


@transaction.atomic
def execution_finish(
    *,
    execution_id: UUID | str,
    status: str,
    error_message: str = "",
    node_ids: dict[str, tuple[str, str]] | None = None,
) -> WorkflowExecution:
    """Set the execution's status; a final status also sets completed_at.

    With `node_ids` (node_id -> (node_type, label)) and a final status, every node that has
    no log gets a "skipped" log, so the builder shows the branches that did not run.
    """
    _check_status(status, ExecutionStatus)
    execution = WorkflowExecution.objects.select_for_update().get(pk=execution_id)
    final = status in TERMINAL_STATUSES
    execution.status = status
    execution.completed_at = timezone.now() if final else None
    if error_message or final:
        execution.error_message = error_message
    execution.save(update_fields=["status", "completed_at", "error_message"])
    if node_ids and final:
        logged = set(execution.logs.values_list("node_id", flat=True))
        WorkflowExecutionLog.objects.bulk_create(
            WorkflowExecutionLog(
                execution=execution,
                node_id=node_id,
                node_type=node_type,
                node_name=label,
                status=NodeStatus.SKIPPED,
            )
            for node_id, (node_type, label) in node_ids.items()
            if node_id not in logged
        )
    return execution


@transaction.atomic
def execution_set_worker(*, execution_id: UUID | str, worker: dict[str, Any]) -> None:
    """Note which process runs the execution, so a dead worker can be detected."""
    execution = WorkflowExecution.objects.select_for_update().get(pk=execution_id)
    execution.execution_context = {**(execution.execution_context or {}), "worker": worker}
    execution.save(update_fields=["execution_context"])


def failure_handler_execution_claim(
    *,
    failed_execution: WorkflowExecution,
    handler_version: WorkflowVersion,
    payload: dict[str, Any],
) -> WorkflowExecution | None:
    """Create the (pending) handler execution of a failed execution, at most once ever.

    Returns it to the one caller that created it; None when it already exists (the unique
    `handles_execution` decides between concurrent callers).
    """
    handler = handler_version.workflow
    if handler.tenant_id != failed_execution.tenant_id:
        raise ValueError("the failure handler belongs to another tenant")
    if failed_execution.handles_execution_id is not None:
        raise ValueError("a failure handler's execution is not handled by another handler")
    if WorkflowExecution.objects.filter(handles_execution=failed_execution).exists():
        return None
    try:
        with transaction.atomic():
            return WorkflowExecution.objects.create(
                tenant_id=failed_execution.tenant_id,
                workflow=handler,
                version=handler_version,
                source="failure_handler",
                trigger_data=capped_json(payload),
                handles_execution=failed_execution,
            )
    except IntegrityError:
        return None
