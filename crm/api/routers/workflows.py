"""Workflows: list, create, read, edit (draft, settings, status) and archive."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db import transaction
from django.http import HttpRequest
from ninja import Field, Query, Router
from ninja.responses import Status

from crm.workflows.models import Workflow, WorkflowStatus
from crm.workflows.selectors import workflow_get
from crm.workflows.services import workflow_create, workflow_set_status, workflow_update_draft

from ..auth import require
from ..errors import conflict
from ..pagination import PageOut, PageParams, page
from ..permissions import Perm
from ..presenters import workflow_out
from ..schemas.common import Error
from ..schemas.workflows import (
    Status as WorkflowStatusLiteral,
)
from ..schemas.workflows import (
    WorkflowCreateIn,
    WorkflowDetailOut,
    WorkflowOut,
    WorkflowPatchIn,
)
from ..selectors import workflow_list
from ..services import workflow_update

router = Router(tags=["workflows"])


class WorkflowFilters(PageParams):
    status: WorkflowStatusLiteral | None = None
    q: str = Field("", max_length=200, description="Search in name and description")


class WorkflowPage(PageOut):
    items: list[WorkflowOut]


_PLAIN_FIELDS = ("name", "description", "trigger_type", "trigger_config")


def _settings(fields: dict[str, Any] | None) -> dict[str, Any]:
    return {key: value for key, value in (fields or {}).items() if value is not None}


@router.get("/workflows", response=WorkflowPage, summary="List workflows (archived on ask)")
def list_workflows(request: HttpRequest, filters: Query[WorkflowFilters]) -> dict[str, Any]:
    who = require(request, Perm.WORKFLOW_READ)
    found = workflow_list(tenant=who.tenant, status=filters.status, q=filters.q)
    return page(found, filters, workflow_out)


@router.post("/workflows", response={201: WorkflowDetailOut, 422: Error})
def create_workflow(request: HttpRequest, body: WorkflowCreateIn) -> Status:
    who = require(request, Perm.WORKFLOW_EDIT)
    workflow = workflow_create(
        tenant=who.tenant,
        name=body.name,
        description=body.description,
        definition=body.definition,
        created_by=who.user,
        trigger_type=body.trigger_type,
        trigger_config=body.trigger_config,
        **_settings(body.settings.model_dump()),
    )
    return Status(201, workflow_out(workflow, definition=True))


@router.get("/workflows/{workflow_id}", response={200: WorkflowDetailOut, 404: Error})
def get_workflow(request: HttpRequest, workflow_id: UUID) -> dict[str, Any]:
    who = require(request, Perm.WORKFLOW_READ)
    return workflow_out(workflow_get(tenant=who.tenant, workflow_id=workflow_id), definition=True)


@router.patch(
    "/workflows/{workflow_id}",
    response={200: WorkflowDetailOut, 404: Error, 409: Error, 422: Error},
    summary="Edit the draft, name, description, trigger, settings or status",
)
def patch_workflow(
    request: HttpRequest, workflow_id: UUID, body: WorkflowPatchIn
) -> dict[str, Any]:
    who = require(request, Perm.WORKFLOW_EDIT)
    changes = body.model_dump(exclude_unset=True)
    with transaction.atomic():
        workflow = Workflow.objects.select_for_update().get(tenant=who.tenant, pk=workflow_id)
        fields = {key: changes[key] for key in _PLAIN_FIELDS if key in changes}
        workflow_update(workflow=workflow, **fields, **_settings(changes.get("settings")))
        if changes.get("definition") is not None:
            workflow_update_draft(workflow=workflow, definition=changes["definition"])
        status = changes.get("status")
        if status is not None and status != workflow.status:
            if status == WorkflowStatus.ACTIVE and not workflow.versions.exists():
                raise conflict("Publish the workflow before activating it: it has no version.")
            workflow_set_status(workflow=workflow, status=status)
    return workflow_out(workflow, definition=True)


@router.delete(
    "/workflows/{workflow_id}",
    response={204: None, 404: Error},
    summary="Archive the workflow (its versions and executions are kept)",
)
def archive_workflow(request: HttpRequest, workflow_id: UUID) -> Status:
    who = require(request, Perm.WORKFLOW_EDIT)
    workflow = workflow_get(tenant=who.tenant, workflow_id=workflow_id)
    if workflow.status != WorkflowStatus.ARCHIVED:
        workflow_set_status(workflow=workflow, status=WorkflowStatus.ARCHIVED)
    return Status(204, None)
