"""A run worker rebuilds exactly the version the code location served, even after a newer
version is published, and builds only the job it needs."""

from __future__ import annotations

import pytest
from dagster._core.code_pointer import CodePointer
from dagster._core.definitions.reconstruct import (
    initialize_repository_def_from_pointer,
    reconstruct_repository_def_from_pointer,
)

from automation import workflow_jobs
from crm.workflows.services import workflow_create, workflow_publish

from .conftest import edge, node

pytestmark = pytest.mark.django_db(transaction=True)
POINTER = CodePointer.from_module("automation.definitions", "defs", working_directory=None)


def definition(*extra_ids: str) -> dict:
    nodes = [node("start", "trigger")]
    edges = []
    previous = "start"
    for node_id in extra_ids:
        nodes.append(node(node_id, "wait_delay", {"seconds": 0}))
        edges.append(edge(previous, node_id))
        previous = node_id
    return {"nodes": nodes, "edges": edges}


def test_run_worker_rebuilds_the_served_version_not_a_newer_one(tenant):
    workflow = workflow_create(tenant=tenant, name="Versioned", definition=definition("a"))
    other = workflow_create(tenant=tenant, name="Other", definition=definition("x"))
    workflow_publish(workflow=workflow)
    workflow_publish(workflow=other)

    served = initialize_repository_def_from_pointer(POINTER)  # what the code server loaded
    assert {n.name for n in served.get_job("acme__versioned").graph.nodes} == {"start", "a"}

    workflow_publish(workflow=workflow, definition=definition("a", "b"))  # version 2
    workflow_jobs.job_for_version_id.cache_clear()
    rebuilt = reconstruct_repository_def_from_pointer(POINTER, served.repository_load_data)
    job = rebuilt.get_job("acme__versioned")
    assert {n.name for n in job.graph.nodes} == {"start", "a"}
    assert job.tags["workflow_version"] == "1"
    assert workflow_jobs.job_for_version_id.cache_info().currsize == 1  # only the needed job

    fresh = initialize_repository_def_from_pointer(POINTER)  # a reload serves version 2
    assert fresh.get_job("acme__versioned").tags["workflow_version"] == "2"
