"""What a compiled job is for: tenant, workflow, version and run settings."""

from __future__ import annotations

from dataclasses import dataclass

from automation.nodes.base import TenantRef


@dataclass(frozen=True)
class JobTarget:
    job_name: str
    tenant: TenantRef
    workflow_name: str
    workflow_id: str | None = None
    version_id: int | None = None
    version_number: int | None = None
    description: str = ""
    retry_count: int = 0
    timeout_minutes: int | None = None

    def tags(self) -> dict[str, str]:
        """Run tags: tenant, workflow id, version (and the run's max runtime)."""
        tags = {"tenant": self.tenant.slug}
        if self.workflow_id:
            tags["workflow_id"] = self.workflow_id
        if self.version_number is not None:
            tags["workflow_version"] = str(self.version_number)
        if self.version_id is not None:
            tags["workflow_version_id"] = str(self.version_id)
        if self.timeout_minutes:
            tags["dagster/max_runtime"] = str(self.timeout_minutes * 60)
        return tags
