"""Run now: start an execution of a workflow's latest published version."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest
from ninja import Router
from ninja.responses import Status

from automation import launcher
from crm.workflows.models import Workflow, WorkflowStatus
from crm.workflows.selectors import execution_logs, workflow_get

from ..auth import require
from ..errors import ApiError, conflict
from ..permissions import Perm
from ..presenters import execution_detail_out
from ..schemas.common import Error
from ..schemas.executions import ExecutionDetailOut
from ..schemas.workflows import RunIn, RunStartedOut

router = Router(tags=["runs"])


def _check_runnable(workflow: Workflow) -> None:
    if workflow.status in (WorkflowStatus.ARCHIVED, WorkflowStatus.PAUSED):
        raise conflict(f"The workflow is {workflow.status}; only active workflows run.")
    if not workflow.versions.exists():
        raise conflict("The workflow has no published version; publish it first.")
    if workflow.status != WorkflowStatus.ACTIVE:
        raise conflict(f"The workflow is {workflow.status}; activate it to run it.")


@router.post(
    "/workflows/{workflow_id}/run",
    response={200: ExecutionDetailOut, 202: RunStartedOut, 404: Error, 409: Error, 504: Error},
    summary="Run now (202 at once; with wait=true, 200 with the finished execution)",
)
def run_workflow(request: HttpRequest, workflow_id: UUID, body: RunIn) -> Status:
    who = require(request, Perm.WORKFLOW_RUN)
    workflow = workflow_get(tenant=who.tenant, workflow_id=workflow_id)
    _check_runnable(workflow)
    try:
        execution = launcher.run_now(
            workflow=workflow, payload=body.payload, user=who.user, wait=body.wait
        )
    except ValueError as exc:
        raise conflict(str(exc)) from None
    except TimeoutError:
        raise ApiError(504, "The run did not finish in time; see the executions list.") from None
    if body.wait:
        logs = execution_logs(execution_id=execution.pk)
        detail = execution_detail_out(execution, logs, with_stack=who.can(Perm.EXECUTION_STACK))
        return Status(200, detail)
    return Status(
        202,
        {
            "execution_id": execution.pk,
            "status": execution.status,
            "dagster_run_id": execution.dagster_run_id,
            "dagster_run_url": launcher.dagster_run_url(execution.dagster_run_id),
        },
    )
