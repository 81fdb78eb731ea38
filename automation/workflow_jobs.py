"""Build Dagster jobs from published workflow versions in the CRM database."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache

from dagster import JobDefinition

from automation.graph_factory.compile import compile_job
from automation.graph_factory.graph import WorkflowGraph
from automation.graph_factory.naming import job_name
from automation.graph_factory.target import JobTarget
from automation.graph_factory.validate import validate_definition
from automation.nodes.base import TenantRef
from crm.django_setup import setup_django

log = logging.getLogger("automation.definitions")


@dataclass
class BuiltJobs:
    jobs: list[JobDefinition]
    versions: dict[str, int]  # job name -> WorkflowVersion id
    skipped: dict[str, str]  # workflow -> reason


def target_for_version(version) -> JobTarget:
    """The JobTarget of a WorkflowVersion (settings as they were published)."""
    workflow = version.workflow
    settings = version.settings or {}
    return JobTarget(
        job_name=job_name(workflow.tenant.slug, workflow.name),
        tenant=TenantRef(id=workflow.tenant_id, slug=workflow.tenant.slug),
        workflow_name=workflow.name,
        workflow_id=str(workflow.id),
        version_id=version.id,
        version_number=version.number,
        description=(workflow.description or workflow.name)
        + f" (tenant {workflow.tenant.slug}, version {version.number})",
        retry_count=int(settings.get("retry_count", workflow.retry_count)),
        timeout_minutes=int(settings.get("timeout_minutes", workflow.timeout_minutes)),
    )


def version_graph(version) -> WorkflowGraph:
    """The validated graph of a version; raises ValueError with the validation errors."""
    report = validate_definition(version.definition)
    if not report.ok:
        raise ValueError("; ".join(str(issue) for issue in report.errors))
    return report.graph


def build_version_job(version) -> JobDefinition:
    """Validate and compile one version, with the default resources bound."""
    from automation.resources import default_resources

    return compile_job(version_graph(version), target_for_version(version), default_resources())


@lru_cache(maxsize=256)
def job_for_version_id(version_id: int) -> JobDefinition:
    """The job of one version by id (versions are immutable, so it is cached per process)."""
    setup_django()
    from crm.workflows.models import WorkflowVersion

    version = WorkflowVersion.objects.select_related("workflow__tenant").get(pk=version_id)
    return build_version_job(version)


@lru_cache(maxsize=256)
def graph_for_version_id(version_id: int) -> WorkflowGraph:
    """The validated graph of one version by id (cached per process)."""
    setup_django()
    from crm.workflows.models import WorkflowVersion

    return version_graph(WorkflowVersion.objects.get(pk=version_id))


def build_jobs(versions) -> BuiltJobs:
    """Jobs for the given versions; a broken one is logged and skipped, never fatal."""
    built = BuiltJobs(jobs=[], versions={}, skipped={})
    for version in versions:
        label = f"{version.workflow.tenant.slug}/{version.workflow.name} v{version.number}"
        try:
            job = build_version_job(version)
        except Exception as exc:  # one bad definition must not take the code location down
            log.error("skipping workflow %s: %s", label, exc)
            built.skipped[label] = str(exc)
            continue
        if job.name in built.versions:
            log.error("skipping workflow %s: job name %s already taken", label, job.name)
            built.skipped[label] = f"job name {job.name} already taken"
            continue
        built.jobs.append(job)
        built.versions[job.name] = version.id
    return built
