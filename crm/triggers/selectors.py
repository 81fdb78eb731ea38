"""Reads for triggers: the active workflows a kind of event may start, with their config."""

from __future__ import annotations

from dataclasses import dataclass

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


def published_trigger_type(*, workflow: Workflow) -> str | None:
    """The trigger type of the workflow's latest version (None when never published)."""
    settings = workflow.versions.order_by("-number").values_list("settings", flat=True).first()
    return None if settings is None else settings.get("trigger_type", "manual")


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
