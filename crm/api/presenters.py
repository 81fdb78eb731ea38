"""Model → response dicts (matching crm.api.schemas); stack traces only for those allowed."""

from __future__ import annotations

from typing import Any

from automation.launcher import dagster_run_url
from crm.workflows.models import Workflow, WorkflowExecution, WorkflowExecutionLog, WorkflowVersion


def workflow_out(workflow: Workflow, *, definition: bool = False) -> dict[str, Any]:
    latest = getattr(workflow, "latest_version", None)
    if latest is None and not hasattr(workflow, "latest_version"):
        current = workflow.current_version
        latest = current.number if current else None
    out = {
        "id": workflow.pk,
        "name": workflow.name,
        "description": workflow.description,
        "status": workflow.status,
        "trigger_type": workflow.trigger_type,
        "trigger_config": workflow.trigger_config,
        "settings": {
            "retry_count": workflow.retry_count,
            "timeout_minutes": workflow.timeout_minutes,
            "max_executions_per_hour": workflow.max_executions_per_hour,
        },
        "current_version": latest,
        "created_at": workflow.created_at,
        "updated_at": workflow.updated_at,
    }
    if definition:
        out["definition"] = workflow.workflow_definition
    return out


def version_out(version: WorkflowVersion, *, definition: bool = False) -> dict[str, Any]:
    out = {
        "number": version.number,
        "settings": version.settings,
        "published_by": version.published_by.get_username() if version.published_by else None,
        "published_at": version.published_at,
    }
    if definition:
        out.update(workflow_id=version.workflow_id, definition=version.definition)
    return out


def _duration_ms(execution: WorkflowExecution) -> int | None:
    if execution.completed_at is None:
        return None
    return max(0, int((execution.completed_at - execution.started_at).total_seconds() * 1000))


def execution_out(execution: WorkflowExecution) -> dict[str, Any]:
    return {
        "id": execution.pk,
        "workflow_id": execution.workflow_id,
        "workflow_name": execution.workflow.name if execution.workflow else None,
        "version_number": execution.version.number if execution.version else None,
        "source": execution.source,
        "status": execution.status,
        "started_at": execution.started_at,
        "completed_at": execution.completed_at,
        "duration_ms": _duration_ms(execution),
        "dagster_run_id": execution.dagster_run_id,
        "error": execution.error_message,
    }


def _error(details: dict[str, Any] | None, *, with_stack: bool) -> dict[str, Any] | None:
    if details is None or with_stack or not isinstance(details, dict):
        return details
    return {key: value for key, value in details.items() if key != "stack"}


def node_log_out(log: WorkflowExecutionLog, *, with_stack: bool) -> dict[str, Any]:
    return {
        "node_id": log.node_id,
        "type": log.node_type,
        "label": log.node_name,
        "status": log.status,
        "attempt": log.attempt,
        "item_index": log.item_index,
        "input": log.input_data,
        "output": log.output_data,
        "output_handle": log.output_handle,
        "error": _error(log.error_details, with_stack=with_stack),
        "duration_ms": log.duration_ms,
        "started_at": log.started_at,
        "completed_at": log.completed_at,
    }


def execution_detail_out(
    execution: WorkflowExecution, logs: list[WorkflowExecutionLog], *, with_stack: bool
) -> dict[str, Any]:
    return {
        **execution_out(execution),
        "dagster_run_url": dagster_run_url(execution.dagster_run_id),
        "trigger_data": execution.trigger_data,
        "final_output": execution.final_output,
        "logs": [node_log_out(log, with_stack=with_stack) for log in logs],
    }
