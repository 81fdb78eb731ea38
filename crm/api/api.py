"""The CRM's JSON API (django-ninja): token or session auth, tenant-scoped, role-checked."""

from __future__ import annotations

from ninja import NinjaAPI

from .auth import AUTH
from .errors import install_handlers
from .routers import (
    approvals,
    events,
    executions,
    me,
    publishing,
    records,
    runs,
    triggers,
    workflows,
)

api = NinjaAPI(
    title="CRM workflow automation API",
    version="1.0.0",
    description=(
        "Workflows, versions, runs, executions and records of one tenant. Authenticate with "
        "`Authorization: Bearer <token>` (the token's tenant) or a Django session (the tenant "
        "from the `X-Tenant` header, or the user's only tenant). GET /api/me lists your "
        "permissions."
    ),
    auth=AUTH,
    urls_namespace="api",
)
install_handlers(api)
for module in (me, workflows, publishing, runs, executions, approvals, events, records, triggers):
    api.add_router("/", module.router)
