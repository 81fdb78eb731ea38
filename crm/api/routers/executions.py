"""Executions: list with filters (newest first) and detail with per-node logs."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router

from crm.workflows.models import ExecutionStatus
from crm.workflows.selectors import execution_logs

from ..auth import require
from ..pagination import PageOut, PageParams, page
from ..permissions import Perm
from ..presenters import execution_detail_out, execution_out
from ..schemas.common import Error
from ..schemas.executions import ExecutionDetailOut, ExecutionOut
from ..selectors import execution_list, execution_of

router = Router(tags=["executions"])
ExecutionStatusLiteral = Literal[tuple(ExecutionStatus.values)]  # type: ignore[valid-type]


class ExecutionFilters(PageParams):
    workflow_id: UUID | None = None
    status: ExecutionStatusLiteral | None = None
    source: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class ExecutionPage(PageOut):
    items: list[ExecutionOut]


@router.get("/executions", response=ExecutionPage)
def list_executions(request: HttpRequest, filters: Query[ExecutionFilters]) -> dict[str, Any]:
    who = require(request, Perm.EXECUTION_READ)
    found = execution_list(
        tenant=who.tenant,
        workflow_id=filters.workflow_id,
        status=filters.status,
        source=filters.source,
        since=filters.since,
        until=filters.until,
    )
    return page(found, filters, execution_out)


@router.get("/executions/{execution_id}", response={200: ExecutionDetailOut, 404: Error})
def get_execution(request: HttpRequest, execution_id: UUID) -> dict[str, Any]:
    """The execution with its node logs; error stacks only for roles that may see them."""
    who = require(request, Perm.EXECUTION_READ)
    execution = execution_of(tenant=who.tenant, execution_id=execution_id)
    logs = execution_logs(execution_id=execution.pk)
    return execution_detail_out(execution, logs, with_stack=who.can(Perm.EXECUTION_STACK))
