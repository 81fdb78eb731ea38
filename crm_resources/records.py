"""The records resource: a tenant-scoped client over the CRM record services."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal, NamedTuple

import dagster as dg

from automation.nodes.base import NodeError, TenantRef

from .tenancy import TenantClient


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


def _node_error(exc: Exception) -> Exception:
    """The NodeError `_as_node_errors` makes of a record service error (else `exc`)."""
    try:
        with _as_node_errors():
            raise exc
    except NodeError as error:
        return error
    except Exception:  # noqa: BLE001 - not a record service error: as it is
        return exc


class WriteKey(NamedTuple):
    """Makes a write idempotent: done once per execution, node and item."""

    execution_id: str
    node_id: str
    item_key: str


class RecordsClient(TenantClient):
    """Create, update and find records of one tenant (sync: it uses the Django ORM)."""

    def _once(self, key: WriteKey | None, write: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """`write()`, or with a key, its stored result when it was done before."""
        if key is None:
            return write()
        from crm.records.services import record_write_once

        result, _ = record_write_once(
            tenant=self.tenant, execution_id=key.execution_id, node_id=key.node_id,
            item_key=key.item_key, write=write,
        )
        return result

    def create(
        self, pipeline: str, data: dict[str, Any], key: WriteKey | None = None
    ) -> dict[str, Any]:
        """Create a record; return it as a dict (with a key: at most once per key)."""
        from crm.records.selectors import record_to_dict
        from crm.records.services import record_create

        def write() -> dict[str, Any]:
            return record_to_dict(record_create(tenant=self.tenant, pipeline=pipeline, data=data))

        with _as_node_errors():
            return self._once(key, write)

    def update(
        self, pipeline: str, record_id: int, data: dict[str, Any], key: WriteKey | None = None
    ) -> dict[str, Any]:
        """Merge data into a record of the pipeline; return {"record", "changed_fields"}
        (with a key: at most once per key)."""
        from crm.records.selectors import record_to_dict
        from crm.records.services import record_update

        def write() -> dict[str, Any]:
            record, changed = record_update(
                tenant=self.tenant, record_id=record_id, data=data, pipeline=pipeline
            )
            return {"record": record_to_dict(record), "changed_fields": changed}

        with _as_node_errors():
            return self._once(key, write)

    def update_many(
        self, updates: list[tuple[str, int, dict[str, Any], WriteKey | None]]
    ) -> list[dict[str, Any] | Exception]:
        """`update` for many (pipeline, record_id, data, key) at once, in a few queries: per
        update its result or its NodeError, in order. Should the bulk write meet a concurrent
        run's key, it is rolled back and the updates go one by one (same results)."""
        from django.db import IntegrityError

        from crm.records.services import RecordUpdate, record_update_many

        requests = [
            RecordUpdate(record_id, data, pipeline, tuple(key) if key is not None else None)
            for pipeline, record_id, data, key in updates
        ]
        try:
            results = record_update_many(tenant=self.tenant, updates=requests)
        except IntegrityError:
            results = []
            for pipeline, record_id, data, key in updates:
                try:
                    results.append(self.update(pipeline, record_id, data, key=key))
                except NodeError as exc:
                    results.append(exc)
        return [_node_error(r) if isinstance(r, Exception) else r for r in results]

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
