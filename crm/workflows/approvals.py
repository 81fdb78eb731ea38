"""Approvals and suspended executions: services and selectors.

A node that suspends its execution (an approval, a long wait) has one WorkflowSuspension per
execution and node. Its life: waiting -> ready (decided, expired or due) -> resuming (the
continuation run is claimed: its run id is chosen before the run exists, so a crash between
the claim and the launch is repaired with the same run id) -> resumed (the node ran again in
the continuation and went on). An execution whose run ended while one of its suspensions is
not yet resumed is "waiting". Continuation runs are started by automation/resume.py.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from crm.tenants.models import Tenant
from crm.tenants.selectors import user_in_tenant, user_role

from .models import (
    SuspensionState,
    Task,
    TaskStatus,
    WorkflowApproval,
    WorkflowExecution,
    WorkflowSuspension,
)

APPROVED, REJECTED, EXPIRED = "approved", "rejected", "expired"
DECISIONS = {"approve": APPROVED, "reject": REJECTED}
# Suspensions that keep their execution "waiting" when a run ends.
PENDING_STATES = (SuspensionState.WAITING, SuspensionState.READY, SuspensionState.RESUMING)


def now() -> datetime:
    """The clock of due times and expiries."""
    return timezone.now()


class ApprovalError(Exception):
    """A decision that cannot be made; `status` is the HTTP status the API answers."""

    status = 400


class ApprovalForbidden(ApprovalError):
    status = 403


class ApprovalConflict(ApprovalError):
    status = 409


# ---------------------------------------------------------------------------- requests


def _may_decide_role(role: str | None) -> bool:
    from crm.api.permissions import Perm, has_perm

    return has_perm(role, Perm.APPROVAL_DECIDE)


@transaction.atomic
def approval_request(
    *,
    tenant: Tenant,
    execution_id: UUID | str,
    node_id: str,
    title: str,
    description: str = "",
    data: Any = None,
    assign_to_user: str | None = None,
    assign_to_role: str | None = None,
    expires_at: datetime | None = None,
    notify: bool = True,
    item_key: str = "",
) -> WorkflowApproval:
    """Create the approval request of a node (once per execution, node and for-each item),
    its waiting suspension and an inbox task for the assignee(s). Raises ValueError /
    NotAMember when the assignee cannot decide approvals in the tenant."""
    from .executions import capped_json

    execution = WorkflowExecution.objects.get(pk=execution_id, tenant=tenant)
    existing = (
        WorkflowSuspension.objects.select_related("approval")
        .filter(execution=execution, node_id=node_id, item_key=item_key, approval__isnull=False)
        .first()
    )
    if existing is not None:
        return existing.approval
    user = None
    if assign_to_user:
        user = user_in_tenant(tenant=tenant, username=assign_to_user)
        role = user_role(user=user, tenant=tenant)
        if not _may_decide_role(role):
            raise ValueError(
                f"user {assign_to_user!r} has the role {role!r}, which may not decide approvals"
            )
    elif not _may_decide_role(assign_to_role):
        raise ValueError(f"the role {assign_to_role!r} may not decide approvals")
    approval = WorkflowApproval.objects.create(
        tenant=tenant,
        execution=execution,
        node_id=node_id,
        assigned_to=user,
        assigned_role="" if user else (assign_to_role or ""),
        title=title[:255],
        description=description,
        approval_data={} if data is None else capped_json(data),
        expires_at=expires_at,
    )
    WorkflowSuspension.objects.update_or_create(
        execution=execution,
        node_id=node_id,
        item_key=item_key,
        defaults={
            "tenant": tenant,
            "kind": "approval",
            "approval": approval,
            "due_at": expires_at,
            "state": SuspensionState.WAITING,
        },
    )
    if notify:
        Task.objects.create(
            tenant=tenant,
            assigned_to=user,
            assigned_role=approval.assigned_role,
            kind="task",
            title=f"Approval needed: {title}"[:255],
            body=description,
            due_at=expires_at,
            execution=execution,
            node_id=node_id,
            item_key=item_key,
        )
    return approval


@transaction.atomic
def suspension_register(
    *,
    execution_id: UUID | str,
    tenant_id: int,
    node_id: str,
    kind: str,
    parent_run_id: str,
    step_key: str,
    due_at: datetime | None = None,
    item_key: str = "",
) -> WorkflowSuspension:
    """Note the run and step a node (for one for-each item) suspended in (creating the
    suspension of a wait)."""
    suspension, created = WorkflowSuspension.objects.select_for_update().get_or_create(
        execution_id=execution_id,
        node_id=node_id,
        item_key=item_key,
        defaults={
            "tenant_id": tenant_id,
            "kind": kind,
            "due_at": due_at,
            "parent_run_id": parent_run_id,
            "step_key": step_key,
        },
    )
    if not created:
        suspension.parent_run_id, suspension.step_key = parent_run_id, step_key
        if suspension.state in (SuspensionState.CANCELED, SuspensionState.FAILED):
            # The run was re-executed from the Dagster UI: the node waits again.
            suspension.state = SuspensionState.WAITING
            suspension.continuation_run_id, suspension.claimed_at = "", None
        suspension.save()
    return suspension


def suspension_state(
    *, execution_id: UUID | str, node_id: str, item_key: str = ""
) -> dict[str, Any] | None:
    """What a node that may have suspended finds when it runs: None (never suspended),
    {"resolution": None, ...} (still waiting) or {"resolution": handle, "output": ...}; the
    suspension is then marked resumed (the node goes on in this run)."""
    with transaction.atomic():
        suspension = (
            WorkflowSuspension.objects.select_for_update()
            .filter(execution_id=execution_id, node_id=node_id, item_key=item_key)
            .first()
        )
        if suspension is None:
            return None
        found = {
            "kind": suspension.kind,
            "created_at": suspension.created_at,
            "due_at": suspension.due_at,
            "approval_id": str(suspension.approval_id) if suspension.approval_id else None,
            "resolution": None,
            "output": None,
        }
        if suspension.state in (
            SuspensionState.READY,
            SuspensionState.RESUMING,
            SuspensionState.RESUMED,
        ):
            found["resolution"] = suspension.resolution
            found["output"] = suspension.resolution_data
            if suspension.state != SuspensionState.RESUMED:
                suspension.state = SuspensionState.RESUMED
                suspension.resumed_at = timezone.now()
                suspension.save(update_fields=["state", "resumed_at"])
        return found


# --------------------------------------------------------------------------- decisions


def approval_status(approval: WorkflowApproval) -> str:
    """pending, approved, rejected, expired or canceled."""
    if approval.approved is True:
        return APPROVED
    if approval.approved is False:
        return REJECTED
    suspension = getattr(approval, "suspension", None)
    if suspension is not None:
        if suspension.resolution == EXPIRED:
            return EXPIRED
        if suspension.state in (SuspensionState.CANCELED, SuspensionState.FAILED):
            return "canceled"
    return "pending"


def may_decide(approval: WorkflowApproval, *, user: Any, role: str | None) -> bool:
    """The assignee, or a member of the assigned role; and only with approval.decide."""
    if not _may_decide_role(role):
        return False
    if approval.assigned_to_id is not None:
        return approval.assigned_to_id == getattr(user, "pk", None)
    return bool(approval.assigned_role) and approval.assigned_role == role


def _resolve(suspension: WorkflowSuspension, resolution: str, data: dict[str, Any]) -> None:
    suspension.state = SuspensionState.READY
    suspension.resolution = resolution
    suspension.resolution_data = data
    suspension.resolved_at = timezone.now()
    suspension.save(update_fields=["state", "resolution", "resolution_data", "resolved_at"])


def _approval_output(approval: WorkflowApproval, decision: str, **extra: Any) -> dict[str, Any]:
    return {
        "decision": decision,
        "approved": {APPROVED: True, REJECTED: False}.get(decision),
        "approval_id": str(approval.pk),
        "title": approval.title,
        **extra,
    }


def _close_tasks(approval: WorkflowApproval) -> None:
    suspension = getattr(approval, "suspension", None)
    Task.objects.filter(
        execution_id=approval.execution_id,
        node_id=approval.node_id,
        item_key=suspension.item_key if suspension is not None else "",
        status=TaskStatus.OPEN,
    ).update(status=TaskStatus.DONE)


def _expire(approval: WorkflowApproval, suspension: WorkflowSuspension) -> None:
    expired_at = approval.expires_at or now()
    _resolve(
        suspension,
        EXPIRED,
        _approval_output(
            approval, EXPIRED, decided_by=None, decided_at=expired_at.isoformat(), note=""
        ),
    )
    _close_tasks(approval)


def approval_decide(
    *, approval: WorkflowApproval, user: Any, role: str | None, decision: str, note: str = ""
) -> WorkflowApproval:
    """Record the decision (approve/reject) of the assignee or a member of the assigned role;
    the continuation run starts once the transaction commits. Raises ApprovalForbidden (not
    theirs to decide) or ApprovalConflict (already decided, expired or no longer waiting)."""
    from automation.resume import start_continuation_soon

    if decision not in DECISIONS:
        raise ApprovalError(f"decision must be 'approve' or 'reject', not {decision!r}")
    if not may_decide(approval, user=user, role=role):
        raise ApprovalForbidden(
            "Only the assignee of this approval (or a member of its assigned role) may decide it."
        )
    expired = False
    with transaction.atomic():
        approval = WorkflowApproval.objects.select_for_update().get(pk=approval.pk)
        suspension = (
            WorkflowSuspension.objects.select_for_update().filter(approval=approval).first()
        )
        if approval.approved is not None:
            raise ApprovalConflict(f"This approval was already {approval_status(approval)}.")
        if suspension is None or suspension.state != SuspensionState.WAITING:
            raise ApprovalConflict(
                f"This approval is {approval_status(approval)}: its execution no longer waits "
                "for a decision."
            )
        if approval.expires_at is not None and now() >= approval.expires_at:
            _expire(approval, suspension)
            expired = True
        else:
            decided = DECISIONS[decision]
            approval.approved = decided == APPROVED
            approval.approved_by = user
            approval.approved_at = timezone.now()
            approval.approval_notes = note
            approval.save(
                update_fields=["approved", "approved_by", "approved_at", "approval_notes"]
            )
            _resolve(
                suspension,
                decided,
                _approval_output(
                    approval,
                    decided,
                    decided_by=user.get_username(),
                    decided_at=approval.approved_at.isoformat(),
                    note=note,
                ),
            )
            _close_tasks(approval)
        suspension_id = suspension.pk
        transaction.on_commit(lambda: start_continuation_soon(suspension_id))
    if expired:
        raise ApprovalConflict("This approval has expired.")
    approval.refresh_from_db()
    return approval


# ------------------------------------------------------------------ continuation support


def suspensions_expire_due() -> list[str]:
    """Resolve waiting suspensions whose time has come: a wait goes on (`out`), an approval
    takes `expired`. Returns their ids."""
    resolved: list[str] = []
    due = WorkflowSuspension.objects.filter(
        state=SuspensionState.WAITING, due_at__isnull=False, due_at__lte=now()
    ).values_list("pk", flat=True)
    for suspension_id in list(due[:500]):
        with transaction.atomic():
            suspension = (
                WorkflowSuspension.objects.select_for_update(of=("self",))
                .select_related("approval")
                .filter(pk=suspension_id, state=SuspensionState.WAITING)
                .first()
            )
            if suspension is None:
                continue
            if suspension.approval is not None:
                _expire(suspension.approval, suspension)
            else:
                _resolve(
                    suspension,
                    "out",
                    {
                        "waited_until": suspension.due_at.isoformat(),
                        "suspended_at": suspension.created_at.isoformat(),
                    },
                )
            resolved.append(str(suspension.pk))
    return resolved


def suspensions_ready() -> QuerySet:
    """Resolved suspensions whose continuation has not been claimed yet."""
    return WorkflowSuspension.objects.filter(state=SuspensionState.READY).exclude(parent_run_id="")


def suspension_claim(suspension_id: UUID | str) -> str | None:
    """Claim the continuation of a ready suspension and of every other ready suspension of its
    execution and run (the items of a for-each that suspended); returns the new run id to the
    one caller that won, None to the others and while one of them is still waiting."""
    run_id = str(uuid.uuid4())
    with transaction.atomic():
        suspension = (
            WorkflowSuspension.objects.select_for_update()
            .filter(pk=suspension_id, state=SuspensionState.READY)
            .first()
        )
        if suspension is None:
            return None
        siblings = WorkflowSuspension.objects.select_for_update().filter(
            execution_id=suspension.execution_id
        )
        if siblings.filter(
            Q(parent_run_id=suspension.parent_run_id) | Q(parent_run_id=""),
            state=SuspensionState.WAITING,
        ).exists():
            return None  # the execution resumes once all of them are decided (or due)
        siblings.filter(
            parent_run_id=suspension.parent_run_id, state=SuspensionState.READY
        ).update(state=SuspensionState.RESUMING, continuation_run_id=run_id, claimed_at=now())
    return run_id


def suspension_group(suspension: WorkflowSuspension) -> QuerySet:
    """The suspensions one continuation run resumes (claimed together)."""
    if not suspension.continuation_run_id:
        return WorkflowSuspension.objects.filter(pk=suspension.pk)
    return WorkflowSuspension.objects.filter(
        execution_id=suspension.execution_id, continuation_run_id=suspension.continuation_run_id
    )


def suspension_reclaim(suspension: WorkflowSuspension) -> bool:
    """Take over a stale claim (its launcher died) so exactly one caller repairs it."""
    with transaction.atomic():
        won = WorkflowSuspension.objects.filter(
            pk=suspension.pk, state=SuspensionState.RESUMING, claimed_at=suspension.claimed_at
        ).update(claimed_at=now())
        if won:  # its group with it: one repair per continuation run
            suspension_group(suspension).filter(state=SuspensionState.RESUMING).update(
                claimed_at=now()
            )
    return bool(won)


def suspensions_claimed_before(cutoff: datetime) -> QuerySet:
    return WorkflowSuspension.objects.filter(
        state=SuspensionState.RESUMING, claimed_at__lt=cutoff
    ).select_related("execution")


def suspension_failed(suspension: WorkflowSuspension, message: str) -> None:
    """The continuation ended before the node ran again: the execution fails with `message`."""
    from .executions import execution_finish

    with transaction.atomic():
        updated = (
            suspension_group(suspension)
            .filter(state=SuspensionState.RESUMING)
            .update(state=SuspensionState.FAILED)
        )
        if updated:
            execution_finish(
                execution_id=suspension.execution_id, status="failed", error_message=message
            )


def execution_waits(execution_id: UUID | str) -> bool:
    """Whether a suspension keeps the execution waiting (not finished) after its run ended."""
    return WorkflowSuspension.objects.filter(
        execution_id=execution_id, state__in=PENDING_STATES
    ).exists()


def suspensions_cancel(execution_id: UUID | str) -> int:
    """The execution ended otherwise: its waiting suspensions will never resume."""
    return WorkflowSuspension.objects.filter(
        execution_id=execution_id, state__in=(SuspensionState.WAITING, SuspensionState.READY)
    ).update(state=SuspensionState.CANCELED)


# ----------------------------------------------------------------------------- selectors


def approvals_of_tenant(
    *, tenant: Tenant, status: str | None = None, mine_of: tuple[Any, str] | None = None
) -> QuerySet:
    """The tenant's approvals, newest first; `mine_of=(user, role)` keeps the pending ones
    that user may decide."""
    found = (
        WorkflowApproval.objects.filter(tenant=tenant)
        .select_related("assigned_to", "approved_by", "suspension", "execution")
        .order_by("-requested_at")
    )
    if mine_of is not None:
        user, role = mine_of
        if not _may_decide_role(role):
            return found.none()
        found = found.filter(Q(assigned_to=user) | Q(assigned_to__isnull=True, assigned_role=role))
        status = "pending"
    if status == APPROVED:
        found = found.filter(approved=True)
    elif status == REJECTED:
        found = found.filter(approved=False)
    elif status == EXPIRED:
        found = found.filter(approved__isnull=True, suspension__resolution=EXPIRED)
    elif status == "canceled":
        found = found.filter(
            approved__isnull=True,
            suspension__state__in=(SuspensionState.CANCELED, SuspensionState.FAILED),
        )
    elif status == "pending":
        found = found.filter(approved__isnull=True, suspension__state=SuspensionState.WAITING)
    return found


def approval_get(*, tenant: Tenant, approval_id: UUID | str) -> WorkflowApproval:
    """The tenant's approval with this id (WorkflowApproval.DoesNotExist otherwise)."""
    try:
        return WorkflowApproval.objects.select_related(
            "assigned_to", "approved_by", "suspension", "execution"
        ).get(tenant=tenant, pk=approval_id)
    except ValidationError:
        raise WorkflowApproval.DoesNotExist(f"Approval {approval_id} does not exist.") from None
