"""Mirror of executions and per-node logs in the CRM, written by the ops as they run."""

from __future__ import annotations

from typing import Any

from dagster import ConfigurableResource

from crm.django_setup import setup_django


class ExecutionsResource(ConfigurableResource):
    """Writes WorkflowExecution / WorkflowExecutionLog rows through the CRM service layer."""

    def begin(
        self,
        *,
        execution_id: str | None,
        tenant_id: int,
        workflow_id: str | None,
        version_id: int | None,
        dagster_run_id: str,
        trigger_data: dict[str, Any],
        source: str,
    ) -> str:
        """Mark an existing execution running, or create one for a run started elsewhere."""
        setup_django()
        from automation.worker import current_worker
        from crm.workflows import services

        if execution_id:
            services.execution_start(execution_id=execution_id, dagster_run_id=dagster_run_id)
            services.execution_set_worker(execution_id=execution_id, worker=current_worker())
            return execution_id
        from crm.tenants.models import Tenant
        from crm.workflows.models import Workflow, WorkflowVersion

        execution = services.execution_create(
            tenant=Tenant.objects.get(pk=tenant_id),
            workflow=Workflow.objects.filter(pk=workflow_id).first() if workflow_id else None,
            version=WorkflowVersion.objects.filter(pk=version_id).first() if version_id else None,
            source=source,
            trigger_data=trigger_data,
            dagster_run_id=dagster_run_id,
        )
        services.execution_start(execution_id=str(execution.id), dagster_run_id=dagster_run_id)
        services.execution_set_worker(execution_id=str(execution.id), worker=current_worker())
        return str(execution.id)

    def resume(self, *, execution_id: str, dagster_run_id: str) -> None:
        """A later run (re-execution from the Dagster UI) carries the execution on."""
        setup_django()
        from automation.worker import current_worker
        from crm.workflows import services
        from crm.workflows.models import WorkflowExecution

        current = (
            WorkflowExecution.objects.filter(pk=execution_id)
            .values_list("dagster_run_id", "status")
            .first()
        )
        if current is None or (current[0] == dagster_run_id and current[1] == "running"):
            return
        services.execution_start(execution_id=execution_id, dagster_run_id=dagster_run_id)
        services.execution_set_worker(execution_id=execution_id, worker=current_worker())

    def node_started(
        self,
        *,
        execution_id: str,
        node_id: str,
        node_type: str,
        node_name: str,
        attempt: int,
        input_data: Any,
    ) -> str:
        setup_django()
        from crm.workflows import services

        log = services.node_log_start(
            execution_id=execution_id,
            node_id=node_id,
            node_type=node_type,
            node_name=node_name,
            attempt=attempt,
            input_data=input_data,
        )
        return str(log.id)

    def node_finished(
        self,
        *,
        log_id: str,
        status: str,
        output_data: Any = None,
        output_handle: str = "",
        error_details: dict[str, Any] | None = None,
        execution_details: dict[str, Any] | None = None,
    ) -> None:
        setup_django()
        from crm.workflows import services

        services.node_log_finish(
            log_id=log_id,
            status=status,
            output_data=output_data,
            output_handle=output_handle,
            error_details=error_details,
            execution_details=execution_details,
        )

    def items_logged(self, *, execution_id: str | None, rows: list[dict[str, Any]]) -> int:
        """Record many per-item attempts at once (see crm.workflows.item_logs)."""
        if not execution_id or not rows:
            return 0
        setup_django()
        from crm.workflows.item_logs import node_item_logs_create

        return node_item_logs_create(execution_id=execution_id, rows=rows)

    def suspended(
        self,
        *,
        execution_id: str,
        tenant_id: int,
        node_id: str,
        kind: str,
        run_id: str,
        step_key: str,
        due_at: Any = None,
        item_key: str = "",
    ) -> None:
        """A node (for one for-each item) suspended the execution in this run and step (see
        crm.workflows.approvals)."""
        setup_django()
        from crm.workflows.approvals import suspension_register

        suspension_register(
            execution_id=execution_id,
            tenant_id=tenant_id,
            node_id=node_id,
            kind=kind,
            parent_run_id=run_id,
            step_key=step_key,
            due_at=due_at,
            item_key=item_key,
        )
