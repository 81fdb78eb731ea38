"""Schemas shared by several routers: errors, the caller, the catalogue."""

from __future__ import annotations

from typing import Annotated, Any

from ninja import Field, Schema

# Path ids within what every database's integer columns hold (no overflow errors on PostgreSQL).
RecordId = Annotated[int, Field(ge=1, le=2**63 - 1)]
VersionNumber = Annotated[int, Field(ge=1, le=2**31 - 1)]


class Error(Schema):
    detail: str


class ValidationIssueOut(Schema):
    code: str
    message: str
    node_id: str | None = None
    edge_id: str | None = None
    field: str | None = None


class InvalidDefinition(Schema):
    detail: str
    errors: list[ValidationIssueOut]


class UserOut(Schema):
    id: int
    username: str
    email: str


class TenantOut(Schema):
    slug: str
    name: str


class MeOut(Schema):
    user: UserOut
    tenant: TenantOut
    role: str
    permissions: list[str]
    auth: str


class CatalogueOut(Schema):
    categories: list[dict[str, Any]]
    node_types: list[dict[str, Any]]
