"""Fixtures for for-each runs: definitions with groups, run on the session's Dagster instance."""

from __future__ import annotations

from typing import Any

import pytest

from automation.graph_factory.compile import compile_job, trigger_op_name, trigger_run_config
from automation.graph_factory.target import JobTarget
from automation.graph_factory.validate import validate_definition
from automation.instance import get_instance
from automation.nodes.base import TenantRef
from automation.resources import default_resources
from crm.workflows.models import WorkflowExecution
from crm.workflows.services import execution_create, execution_finish


def node(node_id: str, node_type: str, config: dict[str, Any] | None = None, *,
         parent: str | None = None, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"label": node_id, "config": config or {}}
    if settings is not None:
        data["settings"] = settings
    entry = {"id": node_id, "type": node_type, "position": {"x": 0, "y": 0}, "data": data}
    if parent is not None:
        entry["parentId"] = parent
    return entry


def edge(source: str, target: str, handle: str | None = None) -> dict[str, Any]:
    item = {"id": f"{source}-{handle or 'out'}-{target}", "source": source, "target": target}
    if handle:
        item["sourceHandle"] = handle
    return item


def loop(node_id: str = "each", items: str = "{{ trigger.items }}", **config: Any):
    return node(node_id, "for_each", {"items": items, **config})


def note(node_id: str, title: str, parent: str | None = None, **kw: Any) -> dict[str, Any]:
    return node(node_id, "task_notify", {"title": title, "assign_to_role": "editor"},
                parent=parent, **kw)


def classify_definition(max_concurrency: int, batch_size: int = 6,
                        payload: dict[str, Any] | None = None) -> dict[str, Any]:
    """trigger -> for-each -> AI classification -> a task for each hot lead ("call <index>")."""
    return {
        "nodes": [
            node("start", "trigger", {"sample_payload": payload} if payload else {}),
            loop(batch_size=batch_size, max_concurrency=max_concurrency),
            node("classify", "ai_classification", {
                "text": "{{ item }}",
                "labels": [{"name": "hot_lead", "description": "wants to buy, budget approved"},
                           {"name": "support", "description": "bug, broken, help"}],
            }, parent="each"),
            note("sales", "call {{ index }}", "each"),
        ],
        "edges": [edge("start", "each"), edge("each", "classify", "item"),
                  edge("classify", "sales", "hot_lead")],
    }


def graph_of(definition: dict[str, Any]):
    report = validate_definition(definition)
    assert report.ok, [str(issue) for issue in report.errors]
    return report.graph


def target_for(tenant, retry_count: int = 0, name: str = "acme__for_each") -> JobTarget:
    return JobTarget(job_name=name, tenant=TenantRef(id=tenant.id, slug=tenant.slug),
                     workflow_name="For each", retry_count=retry_count)


def run_definition(tenant, definition: dict[str, Any], payload: Any = None, *,
                   items: list[Any] | None = None, retry_count: int = 0):
    """Compile and run on the session's instance; returns (execution, result). The execution
    is finished as the run-status sensor would."""
    graph = graph_of(definition)
    execution = execution_create(tenant=tenant, source="test", trigger_data=payload or {})
    run_config = trigger_run_config(graph, payload or {})
    if items is not None:
        run_config = {"ops": {trigger_op_name(graph): {"config": {"items": items}}}}
    result = compile_job(graph, target_for(tenant, retry_count)).execute_in_process(
        run_config=run_config, instance=get_instance(), resources=default_resources(),
        tags={"crm/execution_id": str(execution.id)}, raise_on_error=False,
    )
    execution_finish(
        execution_id=str(execution.id), status="success" if result.success else "failed",
        node_ids={n.id: (n.node_type.name, n.label) for n in graph.nodes.values()},
    )
    return WorkflowExecution.objects.get(pk=execution.pk), result


def loop_output(execution, loop_id: str = "each") -> dict[str, Any]:
    """The for-each's collected output, as the node after it saw it (via an echo task)."""
    log = execution.logs.filter(node_id=loop_id, item_index__isnull=True).latest("attempt")
    return log.output_data


@pytest.fixture
def editor(tenant, make_user):
    return make_user(tenant, "editor")
