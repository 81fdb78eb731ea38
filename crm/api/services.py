"""Workflow writes the API needs beyond crm.workflows.services: editing name and settings."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from crm.workflows.models import Workflow

EDITABLE_FIELDS = frozenset(
    {
        "name",
        "description",
        "trigger_type",
        "trigger_config",
        "retry_count",
        "timeout_minutes",
        "max_executions_per_hour",
    }
)


@transaction.atomic
def workflow_update(*, workflow: Workflow, **fields: Any) -> Workflow:
    """Change the workflow's name, description, trigger or settings (checked by full_clean)."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    if not fields:
        return workflow
    for name, value in fields.items():
        setattr(workflow, name, value)
    workflow.full_clean()
    workflow.save(update_fields=[*fields, "updated_at"])
    return workflow
