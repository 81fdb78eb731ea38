"""A crash between the decision and the resume still resumes, exactly once: the sensor
launches what the decision's launcher did not, and repairs a claim whose launcher died."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from automation.launcher import run_now
from automation.resume import resume_pass, wait_for_continuations
from crm.tenants.models import Membership
from crm.workflows.approvals import suspension_claim
from crm.workflows.models import WorkflowApproval, WorkflowSuspension

from .test_approvals import _runs_of

pytestmark = pytest.mark.django_db(transaction=True)


# Decides in a process of its own that dies the moment the decision is committed: its own
# on-commit hook, registered first, runs before the one that would start the continuation.
DIE_AFTER_COMMIT = """
import os, sys
from crm.django_setup import setup_django
setup_django()
from django.db import transaction
from crm.tenants.models import Membership
from crm.workflows.approvals import approval_decide
from crm.workflows.models import WorkflowApproval
member = Membership.objects.select_related("user").get(pk=int(sys.argv[1]))
with transaction.atomic():
    transaction.on_commit(lambda: os._exit(0))
    approval_decide(approval=WorkflowApproval.objects.get(), user=member.user,
                    role=member.role, decision="approve", note="ok")
os._exit(3)
"""


@pytest.fixture
def decided(approval_workflow, make_user, tenant):
    """A decided approval whose launcher died (with its process) right after the commit."""
    execution = run_now(workflow=approval_workflow, wait=True)
    approver = make_user(tenant, "approver")
    member = Membership.objects.get(user=approver, tenant=tenant)
    child = subprocess.run(
        [sys.executable, "-c", DIE_AFTER_COMMIT, str(member.pk)],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "crm.settings.test"},
        timeout=120,
    )
    assert child.returncode == 0  # died in its on-commit hook, after the commit
    assert WorkflowApproval.objects.get().approved is True
    execution.refresh_from_db()
    assert execution.status == "waiting"
    return execution


def test_the_sensor_resumes_a_decision_whose_launcher_died(decided, http_counter):
    suspension = WorkflowSuspension.objects.get()
    assert suspension.state == "ready"
    assert resume_pass()["launched"] == [str(suspension.pk)]
    assert resume_pass()["launched"] == []  # claimed: never twice
    wait_for_continuations()
    decided.refresh_from_db()
    assert decided.status == "success"
    assert len(_runs_of(decided)) == 2
    assert resume_pass() == {"due": [], "launched": [], "repaired": [], "failed": []}
    assert http_counter.calls == 1


def test_a_claim_whose_launcher_died_is_repaired_with_the_same_run(decided, clock):
    suspension = WorkflowSuspension.objects.get()
    run_id = suspension_claim(suspension.pk)  # claimed, then the process died
    assert run_id and suspension_claim(suspension.pk) is None
    assert resume_pass()["repaired"] == []  # a fresh claim may still be launching
    clock.advance(minutes=2)
    assert resume_pass()["repaired"] == [str(suspension.pk)]
    wait_for_continuations()
    decided.refresh_from_db()
    assert decided.status == "success"
    assert decided.dagster_run_id == run_id
    assert [run.run_id for run in _runs_of(decided)][1:] == [run_id]
    clock.advance(minutes=2)
    assert resume_pass()["repaired"] == []


def test_concurrent_launchers_start_one_continuation(decided):
    from concurrent.futures import ThreadPoolExecutor

    from automation.resume import launch

    suspension = WorkflowSuspension.objects.get()
    with ThreadPoolExecutor(4) as pool:
        started = list(pool.map(lambda _: launch(str(suspension.pk)), range(4)))
    wait_for_continuations()
    assert len([run_id for run_id in started if run_id]) == 1
    decided.refresh_from_db()
    assert decided.status == "success" and len(_runs_of(decided)) == 2
