"""Authentication (bearer token or Django session) and the caller's tenant and role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from crm.tenants.models import Membership, Tenant

from .errors import ApiError, forbidden
from .permissions import Perm, permissions_of
from .tokens import api_token_authenticate

TENANT_HEADER = "X-Tenant"


@dataclass(frozen=True)
class Caller:
    """Who is calling, in which tenant, with which role."""

    user: Any
    tenant: Tenant
    role: str
    via: str  # "token" or "session"

    @property
    def permissions(self) -> frozenset[Perm]:
        return permissions_of(self.role)

    def can(self, perm: Perm) -> bool:
        return perm in self.permissions


def _not_member(user: Any, slug: str) -> ApiError:
    return ApiError(403, f"User {user.get_username()!r} is not a member of tenant {slug!r}.")


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <key>`; the token's tenant is the request's tenant."""

    def authenticate(self, request: HttpRequest, token: str) -> Caller | None:
        found = api_token_authenticate(key=token)
        if found is None:
            return None
        membership = Membership.objects.filter(tenant=found.tenant, user=found.user).first()
        if membership is None:
            raise _not_member(found.user, found.tenant.slug)
        return Caller(user=found.user, tenant=found.tenant, role=membership.role, via="token")


class TenantSessionAuth(SessionAuth):
    """Django session (CSRF checked on unsafe methods); the tenant from `X-Tenant` or the
    user's only membership."""

    def __call__(self, request: HttpRequest) -> Caller | None:
        # Without a session there is nothing to protect: answer 401, not a CSRF 403.
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Caller | None:
        user = request.user
        if not user.is_authenticated:
            return None
        slug = request.headers.get(TENANT_HEADER, "").strip()
        memberships = Membership.objects.filter(user=user).select_related("tenant")
        if slug:
            membership = memberships.filter(tenant__slug=slug).first()
            if membership is None:
                raise _not_member(user, slug)
        else:
            found = list(memberships[:2])
            if not found:
                raise ApiError(403, f"User {user.get_username()!r} is not a member of any tenant.")
            if len(found) > 1:
                raise ApiError(
                    400, f"Several tenants: choose one with the {TENANT_HEADER} header (its slug)."
                )
            membership = found[0]
        return Caller(user=user, tenant=membership.tenant, role=membership.role, via="session")


AUTH = [TokenAuth(), TenantSessionAuth()]


def caller(request: HttpRequest) -> Caller:
    """The authenticated caller of this request."""
    return request.auth  # type: ignore[attr-defined, no-any-return]


def require(request: HttpRequest, perm: Perm) -> Caller:
    """The caller, if their role grants `perm`; else a 403 naming the permission."""
    who = caller(request)
    if not who.can(perm):
        raise forbidden(perm.value, who.role)
    return who
