"""Does a record event start a workflow? Kind, pipelines, field changes, conditions."""

from __future__ import annotations

from typing import Any

from automation.nodes.operators import compare
from automation.nodes.trigger import TriggerConfig

_EVENT_KIND = {
    "record_created": "record_created",
    "record_updated": "record_updated",
    "field_changed": "record_updated",
    "record_deleted": "record_deleted",
}
_MISSING = object()


def field_value(data: Any, path: str) -> Any:
    """The value at a dotted path of the record data (None when absent)."""
    current = data
    for part in path.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
    return current


def _field_changed(config: TriggerConfig, changed: dict[str, Any]) -> bool:
    for name in config.fields:
        change = changed.get(name)
        if not isinstance(change, dict):
            continue
        if config.watches_from() and change.get("old") != config.from_value:
            continue
        if config.watches_to() and change.get("new") != config.to_value:
            continue
        return True
    return False


def conditions_hold(config: TriggerConfig, data: Any) -> bool:
    """The trigger's conditions on the record data (an incomparable value does not match)."""
    if not config.conditions:
        return True
    results = []
    for rule in config.conditions:
        try:
            results.append(compare(field_value(data, rule.field), rule.operator, rule.value))
        except ValueError:
            results.append(False)
    return all(results) if config.combine == "all" else any(results)


def record_event_matches(
    config: TriggerConfig, *, kind: str, pipeline: str, data: Any, changed: dict[str, Any]
) -> bool:
    """True when a record event of this kind, pipeline, data and changes starts the workflow."""
    if _EVENT_KIND.get(config.trigger_type) != kind:
        return False
    if config.pipelines and pipeline not in config.pipelines:
        return False
    if config.trigger_type == "field_changed" and not _field_changed(config, changed or {}):
        return False
    return conditions_hold(config, data)
