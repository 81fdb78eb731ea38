"""Compile a validated workflow graph into a Dagster job: one op per node, handles as outputs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import (
    DependencyDefinition,
    GraphDefinition,
    JobDefinition,
    MultiDependencyDefinition,
    NodeInvocation,
)

from .executors import job_executor
from .graph import WorkflowGraph
from .naming import op_names
from .node_op import UPSTREAM, build_node_op
from .target import JobTarget


def trigger_op_name(graph: WorkflowGraph) -> str:
    """The op of the trigger node (its config takes the payload)."""
    return op_names(list(graph.nodes))[graph.trigger_id]


def trigger_run_config(graph: WorkflowGraph, payload: Any) -> dict[str, Any]:
    """Run config that hands `payload` to the trigger."""
    return {"ops": {trigger_op_name(graph): {"config": {"payload": payload}}}}


def compile_job(
    graph: WorkflowGraph, target: JobTarget, resources: Mapping[str, Any] | None = None
) -> JobDefinition:
    """Build the Dagster job of a workflow version (with its resources bound, when given)."""
    # In the job, each op is named after its node id; its definition's name is prefixed with
    # the job's, since Dagster wants op definition names unique across a code location.
    names = op_names(list(graph.nodes))
    ops = {
        node.id: build_node_op(node, f"{target.job_name}__{names[node.id]}", target)
        for node in graph.nodes.values()
    }
    dependencies: dict[NodeInvocation, dict[str, MultiDependencyDefinition]] = {}
    for node_id in graph.nodes:
        invocation = NodeInvocation(ops[node_id].name, alias=names[node_id])
        sources = list(dict.fromkeys((e.source, e.source_handle) for e in graph.incoming(node_id)))
        # One fan-in input fed by every incoming edge: a node where branches meet runs once
        # with the branches that ran, and is skipped only when all of them were skipped.
        dependencies[invocation] = (
            {
                UPSTREAM: MultiDependencyDefinition(
                    [DependencyDefinition(names[source], handle) for source, handle in sources]
                )
            }
            if sources
            else {}
        )
    graph_def = GraphDefinition(
        name=target.job_name,
        description=target.description or target.workflow_name,
        node_defs=list(ops.values()),
        dependencies=dependencies,
    )
    return graph_def.to_job(
        name=target.job_name,
        description=target.description or f"Workflow {target.workflow_name}",
        tags=target.tags(),
        executor_def=job_executor(),
        resource_defs=dict(resources) if resources else None,
    )
