"""The records resource: a tenant-scoped client over the CRM record services."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

import dagster as dg

from automation.nodes.base import NodeError, TenantRef

from .tenancy import load_tenant

if TYPE_CHECKING:
    from crm.tenants.models import Tenant


@contextmanager
def _as_node_errors() -> Iterator[None]:
    """Turn the record services' errors into NodeErrors users can act on."""
    from crm.records.errors import PipelineNotFound, RecordNotFound

    try:
        yield
    except PipelineNotFound as exc:
        raise NodeError(
            f"pipeline {exc.slug!r} does not exist in this tenant", error_type="pipeline_not_found"
        ) from exc
    except RecordNotFound as exc:
        raise NodeError(
            f"record {exc.record_id} does not exist in this pipeline of this tenant",
            error_type="record_not_found",
        ) from exc
    except ValueError as exc:
        raise NodeError(str(exc), error_type="invalid_input") from exc


class RecordsClient:
    """Create, update and find records of one tenant (sync: it uses the Django ORM)."""

    def __init__(self, tenant: TenantRef):
        self.tenant_ref = tenant

    @cached_property
    def tenant(self) -> Tenant:
        return load_tenant(self.tenant_ref)

    def create(self, pipeline: str, data: dict[str, Any]) -> dict[str, Any]:
        """Create a record; return it as a dict."""
        from crm.records.selectors import record_to_dict
        from crm.records.services import record_create

        with _as_node_errors():
            return record_to_dict(record_create(tenant=self.tenant, pipeline=pipeline, data=data))

    def update(self, pipeline: str, record_id: int, data: dict[str, Any]) -> dict[str, Any]:
        """Merge data into a record of the pipeline; return {"record", "changed_fields"}."""
        from crm.records.selectors import record_to_dict
        from crm.records.services import record_update

        with _as_node_errors():
            record, changed = record_update(
                tenant=self.tenant, record_id=record_id, data=data, pipeline=pipeline
            )
            return {"record": record_to_dict(record), "changed_fields": changed}

    def find(
        self,
        pipeline: str,
        filters: list[dict[str, Any]],
        sort_by: str | None = None,
        sort_direction: Literal["asc", "desc"] = "asc",
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Records of the pipeline matching every filter, sorted and limited."""
        from crm.records.selectors import record_find, record_to_dict

        with _as_node_errors():
            records = record_find(
                tenant=self.tenant, pipeline=pipeline, filters=filters, sort_by=sort_by,
                sort_direction=sort_direction, limit=limit,
            )
            return [record_to_dict(record) for record in records]


class RecordsResource(dg.ConfigurableResource):
    """CRM records for nodes; every query is scoped to the run's tenant."""

    def for_tenant(self, tenant: TenantRef) -> RecordsClient:
        """A client for the tenant's records."""
        return RecordsClient(tenant)
