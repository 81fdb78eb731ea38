"""Validate a draft, publish it as a version, list and read versions, roll back."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Body, Router
from ninja.responses import Status

from automation import launcher
from automation.graph_factory.validate import validate_definition
from crm.workflows.models import Workflow, WorkflowStatus
from crm.workflows.selectors import workflow_get
from crm.workflows.services import workflow_publish

from ..auth import Caller, require
from ..errors import conflict, validation_issues
from ..permissions import Perm
from ..presenters import version_out
from ..schemas.common import Error, InvalidDefinition, VersionNumber
from ..schemas.workflows import DefinitionIn, ValidationOut, VersionDetailOut, VersionOut
from ..selectors import version_get

logger = logging.getLogger(__name__)
router = Router(tags=["versions"])
NO_BODY = Body(None)  # the body is optional: without it the draft is used


def _reload_code_location() -> None:
    """Ask Dagster to pick up the new version; a failure must not fail the publish."""
    try:
        launcher.request_code_location_reload()
    except Exception:  # noqa: BLE001 - best effort by contract
        logger.warning("code location reload request failed", exc_info=True)


def _publish(who: Caller, workflow: Workflow, definition: dict[str, Any] | None) -> Status:
    if workflow.status == WorkflowStatus.ARCHIVED:
        raise conflict("The workflow is archived; set its status to draft or paused first.")
    version = workflow_publish(workflow=workflow, user=who.user, definition=definition)
    _reload_code_location()
    return Status(201, version_out(version, definition=True))


@router.post("/workflows/{workflow_id}/validate", response={200: ValidationOut, 404: Error})
def validate(
    request: HttpRequest, workflow_id: UUID, body: DefinitionIn | None = NO_BODY
) -> dict[str, Any]:
    """Validate the given definition, or the draft; always 200 with the issues found."""
    who = require(request, Perm.WORKFLOW_VALIDATE)
    workflow = workflow_get(tenant=who.tenant, workflow_id=workflow_id)
    given = body.definition if body is not None else None
    report = validate_definition(given if given is not None else workflow.workflow_definition)
    return {"ok": report.ok, "errors": validation_issues([e.as_dict() for e in report.errors])}


@router.post(
    "/workflows/{workflow_id}/publish",
    response={201: VersionDetailOut, 404: Error, 409: Error, 422: InvalidDefinition},
)
def publish(request: HttpRequest, workflow_id: UUID, body: DefinitionIn | None = NO_BODY) -> Status:
    """Publish the given definition (or the draft) as the next version; 422 when invalid."""
    who = require(request, Perm.WORKFLOW_PUBLISH)
    workflow = workflow_get(tenant=who.tenant, workflow_id=workflow_id)
    return _publish(who, workflow, body.definition if body is not None else None)


@router.get("/workflows/{workflow_id}/versions", response={200: list[VersionOut], 404: Error})
def list_versions(request: HttpRequest, workflow_id: UUID) -> list[dict[str, Any]]:
    who = require(request, Perm.WORKFLOW_READ)
    workflow = workflow_get(tenant=who.tenant, workflow_id=workflow_id)
    versions = workflow.versions.select_related("published_by").order_by("-number")
    return [version_out(version) for version in versions]


@router.get(
    "/workflows/{workflow_id}/versions/{number}", response={200: VersionDetailOut, 404: Error}
)
def get_version(request: HttpRequest, workflow_id: UUID, number: VersionNumber) -> dict[str, Any]:
    who = require(request, Perm.WORKFLOW_READ)
    workflow = workflow_get(tenant=who.tenant, workflow_id=workflow_id)
    return version_out(version_get(workflow=workflow, number=number), definition=True)


@router.post(
    "/workflows/{workflow_id}/versions/{number}/rollback",
    response={201: VersionDetailOut, 404: Error, 409: Error, 422: InvalidDefinition},
)
def rollback(request: HttpRequest, workflow_id: UUID, number: VersionNumber) -> Status:
    """Publish an old version's definition again, as a new version."""
    who = require(request, Perm.WORKFLOW_PUBLISH)
    workflow = workflow_get(tenant=who.tenant, workflow_id=workflow_id)
    old = version_get(workflow=workflow, number=number)
    return _publish(who, workflow, old.definition)
