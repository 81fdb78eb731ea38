"""Compile a validated workflow graph into a Dagster job: one op per node, handles as outputs.

A for_each at the top level becomes a split op, one op per body node mapped over the chunks
(Dagster dynamic outputs) and a collect op (see for_each.py); nodes inside a loop that is
itself inside a body run within their outer chunk's step and have no op of their own.
Every job also takes a batch of trigger events ({"items": [...]}, see items_mode.py).
"""

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
from dagster._core.definitions.dependency import DynamicCollectDependencyDefinition

from automation.nodes.loops import FOR_EACH, ITEM_HANDLE

from .body import body_nodes
from .executors import job_executor
from .for_each import CHUNK, LOOP_STATE, build_body_op, build_collect_op, build_loop_op
from .graph import WorkflowGraph
from .naming import op_names
from .node_op import UPSTREAM, build_node_op
from .target import JobTarget

# Jobs take {"items": [payload, ...]} in the trigger's config: one run for a batch of events.
SUPPORTS_ITEMS = True
COLLECT_SUFFIX = "__collect"


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
    top = [node for node in graph.nodes.values() if node.parent_id is None]
    loops = [node for node in top if node.node_type.name == FOR_EACH]
    names = op_names(list(graph.nodes) + [f"{loop.id}{COLLECT_SUFFIX}" for loop in loops])

    def op_name(key: str) -> str:
        return f"{target.job_name}__{names[key]}"

    ops = {}
    dependencies: dict[NodeInvocation, dict[str, Any]] = {}
    # Where a (node, handle) comes out: a loop's done/error leave its collect op.
    source_of = {
        (node.id, handle): (names[node.id], handle) for node in top for handle in node.handles
    }
    for loop in loops:
        collect = names[f"{loop.id}{COLLECT_SUFFIX}"]
        for handle in loop.handles:
            if handle != ITEM_HANDLE:
                source_of[(loop.id, handle)] = (collect, handle)
    for node in top:
        if node.node_type.name == FOR_EACH:
            ops[node.id] = build_loop_op(graph, node, op_name(node.id), target)
        else:
            ops[node.id] = build_node_op(node, op_name(node.id), target)
        sources = list(dict.fromkeys((e.source, e.source_handle) for e in graph.incoming(node.id)))
        # One fan-in input fed by every incoming edge: a node where branches meet runs once
        # with the branches that ran, and is skipped only when all of them were skipped.
        dependencies[NodeInvocation(ops[node.id].name, alias=names[node.id])] = (
            {
                UPSTREAM: MultiDependencyDefinition(
                    [DependencyDefinition(*source_of[source]) for source in sources]
                )
            }
            if sources
            else {}
        )
    for loop in loops:
        previous = DependencyDefinition(names[loop.id], ITEM_HANDLE)
        for member in body_nodes(graph, loop.id):
            ops[member.id] = build_body_op(graph, loop, member, op_name(member.id), target)
            dependencies[NodeInvocation(ops[member.id].name, alias=names[member.id])] = {
                CHUNK: previous
            }
            previous = DependencyDefinition(names[member.id], CHUNK)
        key = f"{loop.id}{COLLECT_SUFFIX}"
        ops[key] = build_collect_op(loop, op_name(key))
        dependencies[NodeInvocation(ops[key].name, alias=names[key])] = {
            "chunks": DynamicCollectDependencyDefinition(previous.node, previous.output),
            "loop": DependencyDefinition(names[loop.id], LOOP_STATE),
        }
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
