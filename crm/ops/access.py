"""Who may open the Dagster UI: platform staff, never a tenant role.

The Dagster UI lists every tenant's runs, tags, configs and logs, and can launch, re-execute,
cancel and delete runs; so it is for platform operators only. A user may open it when they are
active, staff (`is_staff`) and hold `ops.access_dagster_ui` (a superuser holds every
permission). A tenant membership, whatever its role (including a tenant's `admin`, who may also
be staff to use the tenant-scoped admin), grants nothing here.
"""

from __future__ import annotations

from typing import Any

PERMISSION = "ops.access_dagster_ui"


def is_platform_operator(user: Any) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perm(PERMISSION)
    )
