"""Reads for triggers: the active workflows a kind of event may start, with their config."""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass

from django.db import connection
from django.db.models import OuterRef, Subquery

from automation.nodes.trigger import TriggerConfig, effective_trigger
from crm.workflows.models import Workflow, WorkflowStatus, WorkflowVersion

from .models import DeliveryStatus, TriggerDelivery, WebhookEndpoint


@dataclass(frozen=True)
class TriggerTarget:
    """An active workflow, its latest version and that version's trigger config."""

    workflow: Workflow
    version: WorkflowVersion
    config: TriggerConfig

    @property
    def max_per_hour(self) -> int:
        settings = self.version.settings or {}
        return int(settings.get("max_executions_per_hour", self.workflow.max_executions_per_hour))


_CONFIGS: dict[tuple, TriggerConfig] = {}


def trigger_config_of(version: WorkflowVersion) -> TriggerConfig:
    """The trigger config of a published version (versions are immutable: cached).

    Raises ValueError (pydantic's ValidationError) when the config is not valid.
    """
    key = (version.pk, version.published_at)
    config = _CONFIGS.get(key)
    if config is None:
        nodes = (version.definition or {}).get("nodes", [])
        raw = next(
            (
                (node.get("data") or {}).get("config") or {}
                for node in nodes
                if isinstance(node, dict) and node.get("type") == "trigger"
            ),
            {},
        )
        settings = version.settings or {}
        config = effective_trigger(
            raw, settings.get("trigger_type"), settings.get("trigger_config") or {}
        )
        _CONFIGS[key] = config
        if len(_CONFIGS) > 4096:
            _CONFIGS.clear()
    return config


def trigger_targets(*, trigger_types: list[str]) -> dict[str, TriggerTarget]:
    """Active workflows whose published trigger is one of these types, by workflow id."""
    latest = (
        WorkflowVersion.objects.filter(workflow=OuterRef("workflow"))
        .order_by("-number")
        .values("number")[:1]
    )
    versions = WorkflowVersion.objects.filter(
        workflow__status=WorkflowStatus.ACTIVE,
        settings__trigger_type__in=trigger_types,  # as published
        number=Subquery(latest),
    ).select_related("workflow", "workflow__tenant")
    found: dict[str, TriggerTarget] = {}
    for version in versions:
        try:
            config = trigger_config_of(version)
        except ValueError:  # published before this trigger config existed: not triggerable
            continue
        found[str(version.workflow_id)] = TriggerTarget(version.workflow, version, config)
    return found


@dataclass(frozen=True)
class Hook:
    """What the webhook URL needs to know about its endpoint, read fresh on every request."""

    endpoint_id: int
    tenant_id: int
    workflow_id: uuid.UUID
    secret_encrypted: str
    workflow_status: str
    trigger_type: str | None  # of the latest published version; None when never published


@functools.cache
def _hook_sql() -> str:
    """One statement: the endpoint, its workflow's status and the latest version's settings.

    Written out (not the ORM) because this is the hot path of webhook ingress: compiling the
    equivalent querysets cost more than running them. Names come from the models' metadata.
    """
    q = connection.ops.quote_name
    endpoint, workflow, version = WebhookEndpoint._meta, Workflow._meta, WorkflowVersion._meta

    def col(meta, name: str) -> str:
        return q(meta.get_field(name).column)

    return (
        f"SELECT e.{col(endpoint, 'id')}, e.{col(endpoint, 'tenant')}, "
        f"e.{col(endpoint, 'workflow')}, e.{col(endpoint, 'secret_encrypted')}, "
        f"w.{col(workflow, 'status')}, "
        f"(SELECT v.{col(version, 'settings')} FROM {q(version.db_table)} v"
        f" WHERE v.{col(version, 'workflow')} = e.{col(endpoint, 'workflow')}"
        f" ORDER BY v.{col(version, 'number')} DESC LIMIT 1)"
        f" FROM {q(endpoint.db_table)} e"
        f" JOIN {q(workflow.db_table)} w ON w.{col(workflow, 'id')} = e.{col(endpoint, 'workflow')}"
        f" WHERE e.{col(endpoint, 'key')} = %s"
    )


def hook_by_key(key: str) -> Hook | None:
    """The webhook whose URL has this key, with its workflow's current state (one query, no
    cache: publishing, pausing, archiving or rotating takes effect on the very next request)."""
    with connection.cursor() as cursor:
        cursor.execute(_hook_sql(), [key])
        row = cursor.fetchone()
    if row is None:
        return None
    endpoint_id, tenant_id, workflow_id, secret_encrypted, status, settings = row
    if isinstance(settings, str | bytes):  # JSON text as the driver returns it
        settings = WorkflowVersion._meta.get_field("settings").from_db_value(
            settings, None, connection
        )
    return Hook(
        endpoint_id=endpoint_id,
        tenant_id=tenant_id,
        workflow_id=Workflow._meta.pk.to_python(workflow_id),
        secret_encrypted=secret_encrypted,
        workflow_status=status,
        trigger_type=None if settings is None else settings.get("trigger_type", "manual"),
    )


def deferred_deliveries(*, workflow: Workflow):
    """The workflow's events waiting for the rate limit (oldest first)."""
    return TriggerDelivery.objects.filter(
        workflow=workflow, status=DeliveryStatus.DEFERRED
    ).order_by("event_id")


def pending_deliveries(*, workflow: Workflow):
    return TriggerDelivery.objects.filter(
        workflow=workflow, status=DeliveryStatus.PENDING
    ).order_by("event_id")


def webhook_endpoint_of(*, workflow: Workflow) -> WebhookEndpoint | None:
    return WebhookEndpoint.objects.filter(workflow=workflow).first()
