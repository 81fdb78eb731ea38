"""The notify resource: tasks and notifications for a tenant's users or roles."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import dagster as dg

from automation.nodes.base import NodeError, TenantRef

from .tenancy import TenantClient


class NotifyClient(TenantClient):
    """Creates tasks in one tenant (sync: it uses the Django ORM)."""

    def create_task(
        self,
        *,
        title: str,
        body: str = "",
        kind: str = "task",
        assign_to_user: str | None = None,
        assign_to_role: str | None = None,
        priority: str = "normal",
        due_at: datetime | None = None,
        execution_id: str | None = None,
        node_id: str = "",
    ) -> dict[str, Any]:
        """Create a task for a member (by username) or a role; return its id and assignee."""
        from crm.tenants.errors import NotAMember
        from crm.tenants.selectors import user_in_tenant
        from crm.workflows.services import task_create

        try:
            user = user_in_tenant(tenant=self.tenant, username=assign_to_user) if (
                assign_to_user
            ) else None
            task = task_create(
                tenant=self.tenant, title=title, body=body, kind=kind, assigned_to=user,
                assigned_role=assign_to_role or "", priority=priority, due_at=due_at,
                execution_id=execution_id, node_id=node_id,
            )
        except NotAMember as exc:
            raise NodeError(
                f"user {exc.username!r} is not a member of this tenant",
                error_type="user_not_in_tenant",
            ) from exc
        except ValueError as exc:
            raise NodeError(str(exc), error_type="invalid_input") from exc
        assignee = {"assigned_to": user.get_username()} if user else {
            "assigned_role": task.assigned_role
        }
        return {"task_id": task.pk, **assignee}


class NotifyResource(dg.ConfigurableResource):
    """Tasks and notifications in the CRM for nodes."""

    def for_tenant(self, tenant: TenantRef) -> NotifyClient:
        """A client creating tasks in the tenant."""
        return NotifyClient(tenant)
