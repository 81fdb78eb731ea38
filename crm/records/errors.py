"""Errors raised by record services and selectors."""

from __future__ import annotations


class RecordNotFound(Exception):
    """No record with this id in the caller's tenant (other tenants' records are invisible)."""

    code = "records.E001"

    def __init__(self, record_id: object) -> None:
        self.record_id = record_id
        super().__init__(f"Record {record_id} does not exist.")


class PipelineNotFound(Exception):
    """No pipeline with this slug in the caller's tenant."""

    code = "records.E002"

    def __init__(self, slug: str) -> None:
        self.slug = slug
        super().__init__(f"Pipeline {slug!r} does not exist.")
