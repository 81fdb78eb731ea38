"""A run's steps run several at once, in threads of the run worker (the embedded default's
executor, automation/graph_factory/thread_executor.py): a loop's chunks overlap, yet the
loop's max_concurrency and the tenant's AI limit bound all of them together, and
AUTOMATION_STEP_THREADS=1 runs one step at a time again. Real runs (run now), real model
server."""

from __future__ import annotations

import gc

import pytest

from automation.instance import get_instance
from automation.launcher import run_now
from crm.tenants.services import ai_settings_set
from crm.workflows.models import Task
from crm.workflows.services import workflow_create, workflow_publish
from tests.ai.conftest import API_KEY, ai_tenant, model_server, model_server_session  # noqa: F401

from .conftest import classify_definition

pytestmark = pytest.mark.django_db(transaction=True)

TEXTS = ["Budget approved, they want to buy", "It is broken, help"] * 12


def _run(tenant, make_user, max_concurrency: int):
    make_user(tenant, "editor")
    definition = classify_definition(max_concurrency, batch_size=4, payload={"items": TEXTS})
    workflow = workflow_create(tenant=tenant, name="Classify", definition=definition)
    workflow_publish(workflow=workflow)
    return run_now(workflow=workflow, wait=True, timeout_s=120)


def _step_spans(run_id: str) -> dict[str, tuple[float, float]]:
    """step key -> (started, ended) from the run's Dagster event log."""
    started: dict[str, float] = {}
    spans: dict[str, tuple[float, float]] = {}
    for record in get_instance().all_logs(run_id):
        kind = record.dagster_event and record.dagster_event.event_type_value
        if kind == "STEP_START":
            started[record.step_key] = record.timestamp
        elif kind == "STEP_SUCCESS":
            spans[record.step_key] = (started[record.step_key], record.timestamp)
    return spans


def _overlapping(spans: dict[str, tuple[float, float]]) -> list[tuple[str, str]]:
    keys = sorted(spans)
    return [(a, b) for i, a in enumerate(keys) for b in keys[i + 1:]
            if spans[a][0] < spans[b][1] and spans[b][0] < spans[a][1]]


@pytest.mark.parametrize(("loop_bound", "tenant_bound"), [(3, 8), (6, 2)])
def test_chunks_overlap_within_the_loop_and_tenant_bounds(
    ai_tenant, model_server, make_user, loop_bound, tenant_bound  # noqa: F811
) -> None:
    ai_settings_set(tenant=ai_tenant, api_key=API_KEY, base_url=model_server.base_url,
                    model="local-echo", max_tokens=256, request_timeout_s=5.0,
                    max_concurrent_requests=tenant_bound, monthly_token_budget=1_000_000)
    model_server.control(latency=0.05)
    execution = _run(ai_tenant, make_user, loop_bound)
    assert execution.status == "success"
    stats = model_server.stats()
    assert stats["requests"] == len(TEXTS)
    # reached, never passed, though several chunks' steps ran at once
    assert stats["max_in_flight"] == min(loop_bound, tenant_bound)
    spans = _step_spans(execution.dagster_run_id)
    assert {f"classify[chunk_{n}]" for n in range(6)} <= set(spans)
    assert any(a.startswith("classify[") and b.startswith("classify[")
               for a, b in _overlapping(spans))
    # each step ran with the heap frozen (gc_freeze.py); the last one out unfroze it
    assert gc.get_freeze_count() == 0
    assert sorted(Task.objects.values_list("title", flat=True)) == sorted(
        f"call {i}" for i in range(0, len(TEXTS), 2)
    )
    labels = dict(execution.logs.filter(node_id="classify", status="success")
                  .values_list("item_index", "output_data__label"))
    assert labels == {i: "hot_lead" if i % 2 == 0 else "support" for i in range(len(TEXTS))}


def test_one_step_thread_runs_one_step_at_a_time(ai_tenant, model_server, make_user,  # noqa: F811
                                                 monkeypatch) -> None:
    monkeypatch.setenv("AUTOMATION_STEP_THREADS", "1")
    execution = _run(ai_tenant, make_user, 3)
    assert execution.status == "success"
    spans = _step_spans(execution.dagster_run_id)
    assert len(spans) == 2 + 6 * 2 + 1  # start, each, 6 chunks x 2 body steps, collect
    assert _overlapping(spans) == []
    assert Task.objects.count() == len(TEXTS) // 2
