"""The resources every workflow job gets, by name (node types declare which they use)."""

from __future__ import annotations

from typing import Any


def default_resources() -> dict[str, Any]:
    """Resources for the embedded default and tests; production picks the same names."""
    from crm_resources.ai import AIResource
    from crm_resources.executions import ExecutionsResource
    from crm_resources.http import HttpResource
    from crm_resources.notify import NotifyResource
    from crm_resources.records import RecordsResource
    from crm_resources.secrets import SecretsResource
    from crm_resources.suspensions import SuspensionsResource

    return {
        "executions": ExecutionsResource(),
        "ai": AIResource(),
        "records": RecordsResource(),
        "http": HttpResource(),
        "secrets": SecretsResource(),
        "notify": NotifyResource(),
        "suspensions": SuspensionsResource(),
    }
