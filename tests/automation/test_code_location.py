"""The code location serves every active published workflow as a job and skips broken ones."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import DagsterInstance
from django.core.management import call_command

from automation.definitions import defs
from automation.sensors.executions import finish_execution_for_run
from crm.tenants.models import Tenant
from crm.workflows.models import Workflow, WorkflowExecution, WorkflowStatus, WorkflowVersion

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
DEMO_JOBS = {
    "acme__big_deals_digest",
    "acme__qualify_top_lead",
    "acme__new_deal_intake",
    "globex__won_deals_report",
}


@pytest.fixture
def demo(db):
    call_command("seed_demo")


@pytest.fixture
def broken(demo):
    acme = Tenant.objects.get(slug="acme")
    workflow = Workflow.objects.create(tenant=acme, name="Broken", status=WorkflowStatus.ACTIVE)
    # Written directly, as a corrupted row would be: publishing would have refused it.
    WorkflowVersion.objects.create(
        workflow=workflow, number=1, definition={"nodes": [{"id": "x", "type": "nope"}]}
    )
    return workflow


def _job_names(definitions) -> set[str]:
    return {job.name for job in definitions.get_all_jobs()}


def test_demo_workflows_load_and_a_broken_one_is_skipped(broken):
    definitions = defs()
    names = _job_names(definitions)
    assert DEMO_JOBS <= names
    assert "acme__broken" not in names
    job = definitions.get_job("acme__big_deals_digest")
    assert job.tags["tenant"] == "acme"
    assert job.tags["workflow_version"] == "1"
    assert {n.name for n in job.graph.nodes} == {
        "trigger",
        "find_big",
        "any_found",
        "tell_sales",
        "tell_operator",
    }


def test_paused_workflow_is_not_served(demo):
    Workflow.objects.filter(name="Big deals digest").update(status=WorkflowStatus.PAUSED)
    assert "acme__big_deals_digest" not in _job_names(defs())


def test_launching_a_demo_job_records_the_execution_and_the_sensor_finishes_it(demo):
    job = defs().get_job("acme__qualify_top_lead")
    with DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance)
        assert result.success
        execution = WorkflowExecution.objects.get(dagster_run_id=result.run_id)
        assert execution.status == "running"  # until the run-status sensor sees the run end
        assert execution.workflow.name == "Qualify top lead"
        finish_execution_for_run(instance.get_run_by_id(result.run_id), "success")
    execution.refresh_from_db()
    assert execution.status == "success"
    statuses = dict(execution.logs.values_list("node_id", "status"))
    assert statuses["summary"] == "success"
    assert {statuses["qualify"], statuses["follow_up"]} == {"success", "skipped"}


def _dagster(*args: str, dagster_home: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings.test",
        "DAGSTER_HOME": str(dagster_home),
    }
    return subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )


def test_workspace_loads_through_dagster_and_a_job_runs_from_it(broken, tmp_path):
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    done = _dagster("definitions", "validate", "-w", "workspace.yaml", dagster_home=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    done = _dagster(
        "job",
        "execute",
        "-m",
        "automation.definitions",
        "-j",
        "globex__won_deals_report",
        dagster_home=tmp_path,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    execution = WorkflowExecution.objects.get(workflow__name="Won deals report")
    assert dict(execution.logs.values_list("node_id", "status")) == {
        "trigger": "success",
        "won": "success",
        "report": "success",
    }
