"""Approvals: list (mine: pending ones I may decide), detail, and decide (approve/reject)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from crm.workflows.approvals import (
    ApprovalError,
    approval_decide,
    approval_get,
    approval_status,
    approvals_of_tenant,
    may_decide,
)
from crm.workflows.models import WorkflowApproval

from ..auth import Caller, require
from ..errors import ApiError
from ..pagination import PageOut, PageParams, page
from ..permissions import Perm
from ..schemas.common import Error

router = Router(tags=["approvals"])
ApprovalStatus = Literal["pending", "approved", "rejected", "expired", "canceled"]


class ApprovalOut(Schema):
    id: UUID
    status: ApprovalStatus
    title: str
    description: str
    data: Any = None
    execution_id: UUID
    workflow_id: UUID | None = None
    node_id: str
    item_index: int | None = Field(None, description="Inside a for-each: the item it is for")
    assigned_to: str | None = None
    assigned_role: str | None = None
    requested_at: datetime
    expires_at: datetime | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    note: str
    can_decide: bool = Field(description="Whether the caller may decide it now")


class ApprovalPage(PageOut):
    items: list[ApprovalOut]


class ApprovalFilters(PageParams):
    mine: bool = Field(False, description="Only pending approvals the caller may decide")
    status: ApprovalStatus | None = None


class DecisionIn(Schema):
    decision: Literal["approve", "reject"]
    note: str = Field("", max_length=10000)


def _item_index(approval: WorkflowApproval) -> int | None:
    suspension = getattr(approval, "suspension", None)
    key = suspension.item_key if suspension is not None else ""
    return int(key) if key.isdigit() else None


def approval_out(approval: WorkflowApproval, who: Caller) -> dict[str, Any]:
    status = approval_status(approval)
    return {
        "id": approval.pk,
        "status": status,
        "title": approval.title,
        "description": approval.description,
        "data": approval.approval_data,
        "execution_id": approval.execution_id,
        "workflow_id": approval.execution.workflow_id,
        "node_id": approval.node_id,
        "item_index": _item_index(approval),
        "assigned_to": approval.assigned_to.get_username() if approval.assigned_to else None,
        "assigned_role": approval.assigned_role or None,
        "requested_at": approval.requested_at,
        "expires_at": approval.expires_at,
        "decided_by": approval.approved_by.get_username() if approval.approved_by else None,
        "decided_at": approval.approved_at,
        "note": approval.approval_notes,
        "can_decide": status == "pending" and may_decide(approval, user=who.user, role=who.role),
    }


@router.get("/approvals", response=ApprovalPage)
def list_approvals(request: HttpRequest, filters: Query[ApprovalFilters]) -> dict[str, Any]:
    """The tenant's approvals, newest first; `mine=true`: the pending ones you may decide."""
    who = require(request, Perm.EXECUTION_READ)
    found = approvals_of_tenant(
        tenant=who.tenant,
        status=filters.status,
        mine_of=(who.user, who.role) if filters.mine else None,
    )
    return page(found, filters, lambda approval: approval_out(approval, who))


@router.get("/approvals/{approval_id}", response={200: ApprovalOut, 404: Error})
def get_approval(request: HttpRequest, approval_id: UUID) -> dict[str, Any]:
    who = require(request, Perm.EXECUTION_READ)
    return approval_out(approval_get(tenant=who.tenant, approval_id=approval_id), who)


@router.post(
    "/approvals/{approval_id}/decide",
    response={200: ApprovalOut, 403: Error, 404: Error, 409: Error},
    summary="Approve or reject (the assignee or a member of the assigned role)",
)
def decide_approval(request: HttpRequest, approval_id: UUID, body: DecisionIn) -> dict[str, Any]:
    """Record the decision; the execution resumes from the approval node along `approved` or
    `rejected`. A second decision, or one after the expiry, is a 409 and changes nothing."""
    who = require(request, Perm.APPROVAL_DECIDE)
    approval = approval_get(tenant=who.tenant, approval_id=approval_id)
    try:
        decided = approval_decide(
            approval=approval,
            user=who.user,
            role=who.role,
            decision=body.decision,
            note=body.note,
        )
    except ApprovalError as exc:
        raise ApiError(exc.status, str(exc)) from None
    return approval_out(approval_get(tenant=who.tenant, approval_id=decided.pk), who)
