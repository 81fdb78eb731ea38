"""The caller (user, tenant, role, permissions) and the node catalogue."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from automation.nodes.registry import catalogue

from ..auth import caller, require
from ..permissions import Perm
from ..schemas.common import CatalogueOut, MeOut

router = Router(tags=["me"])


@router.get("/me", response=MeOut, summary="The caller, the tenant, their role and permissions")
def me(request: HttpRequest) -> dict[str, Any]:
    who = caller(request)  # any member may see their own role and permissions
    return {
        "user": {"id": who.user.pk, "username": who.user.get_username(), "email": who.user.email},
        "tenant": {"slug": who.tenant.slug, "name": who.tenant.name},
        "role": who.role,
        "permissions": sorted(who.permissions),
        "auth": who.via,
    }


@router.get("/catalogue", response=CatalogueOut, tags=["catalogue"], summary="Node catalogue")
def node_catalogue(request: HttpRequest) -> dict[str, Any]:
    require(request, Perm.WORKFLOW_READ)
    return catalogue()
