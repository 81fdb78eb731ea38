"""The suspensions resource: approval requests and the state of suspended nodes, per tenant."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import dagster as dg

from automation.nodes.base import NodeError, TenantRef

from .tenancy import TenantClient


class SuspensionsClient(TenantClient):
    """What approval and wait nodes of one tenant ask the CRM (sync: it uses the ORM)."""

    def state(
        self, *, execution_id: str, node_id: str, item_key: str | None = None
    ) -> dict[str, Any] | None:
        """None (the node never suspended in this execution, for this item), still waiting
        (`resolution` None) or resolved (`resolution` = handle, `output`)."""
        from crm.workflows.approvals import suspension_state

        return suspension_state(
            execution_id=execution_id, node_id=node_id, item_key=item_key or ""
        )

    def now(self) -> datetime:
        from crm.workflows.approvals import now

        return now()

    def request_approval(
        self,
        *,
        execution_id: str,
        node_id: str,
        title: str,
        description: str = "",
        data: Any = None,
        assign_to_user: str | None = None,
        assign_to_role: str | None = None,
        expires_at: datetime | None = None,
        notify: bool = True,
        item_key: str | None = None,
    ) -> dict[str, Any]:
        """Create the approval request (once per execution, node and item) and its inbox
        task."""
        from crm.tenants.errors import NotAMember
        from crm.workflows.approvals import approval_request

        try:
            approval = approval_request(
                tenant=self.tenant,
                execution_id=execution_id,
                node_id=node_id,
                title=title,
                description=description,
                data=data,
                assign_to_user=assign_to_user,
                assign_to_role=assign_to_role,
                expires_at=expires_at,
                notify=notify,
                item_key=item_key or "",
            )
        except NotAMember as exc:
            raise NodeError(
                f"user {exc.username!r} is not a member of this tenant",
                error_type="user_not_in_tenant",
            ) from exc
        except ValueError as exc:
            raise NodeError(str(exc), error_type="invalid_assignee") from exc
        assignee = (
            {"assigned_to": approval.assigned_to.get_username()}
            if approval.assigned_to
            else {"assigned_role": approval.assigned_role}
        )
        return {
            "approval_id": str(approval.pk),
            "status": "pending",
            "title": approval.title,
            "expires_at": approval.expires_at.isoformat() if approval.expires_at else None,
            **assignee,
        }


class SuspensionsResource(dg.ConfigurableResource):
    """Approvals and suspended nodes in the CRM (see crm/workflows/approvals.py)."""

    def for_tenant(self, tenant: TenantRef) -> SuspensionsClient:
        return SuspensionsClient(tenant)
