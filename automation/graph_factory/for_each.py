"""The Dagster ops of a top-level for-each: split into chunks, one mapped op per body node,
collect.

    <loop>          evaluates `items`, yields one DynamicOutput per chunk (at least one) and,
                    on "state", the flow state the loop started with
    <body node>...  mapped over the chunks; chained in topological order (each takes the
                    previous one's chunk), each running its node for the items routed to it
    <loop>__collect joins the chunks in item order and goes out on "done" (or "error")

Dagster cannot branch per item inside a mapped step, so routing is per item in the chunk
(items.py) and the body ops form a chain; a body op with no item for it passes the chunk on.
A loop inside a body has no ops of its own: it runs within its outer chunk's step (body.py).
"""

from __future__ import annotations

from dagster import DynamicOut, DynamicOutput, Failure, In, OpDefinition, Out, Output, op

from automation.gates import shared_gate
from automation.nodes.loops import ITEM_HANDLE, ForEachConfig

from .body import BodyRunner, nested_nodes, step_resources
from .error_policy import retry_plan
from .expressions import inspect_template, is_expression
from .graph import GraphNode, WorkflowGraph
from .item_exec import ITEM_LOG, ItemEnv, log_rows
from .items import CHUNK_MARK, collected, is_chunk, loop_chunks, merge_chunks, split_by_handle
from .items_mode import ITEMS_CONCURRENCY
from .node_exec import execute_node
from .node_op import UPSTREAM, _after_failure, _enter
from .paths import iter_strings
from .state import with_output
from .target import JobTarget

CHUNK = "chunk"
LOOP_STATE = "state"


def shared_refs(graph: WorkflowGraph, loop: GraphNode) -> set[str]:
    """Nodes outside the loop whose outputs its body's expressions read (chunks carry only
    these, not every upstream output)."""
    inside = {node.id for node in nested_nodes(graph, loop)}
    refs: set[str] = set()
    for node in nested_nodes(graph, loop)[1:]:
        for _, text in iter_strings(node.raw_config, "config"):
            if is_expression(text):
                refs |= inspect_template(text).node_refs
    return refs - inside


def _tags(node: GraphNode, role: str) -> dict[str, str]:
    return {"node_type": node.node_type.name, "node_id": node.id[:200], "loop_role": role}


def _keys(nodes: list[GraphNode]) -> set[str]:
    return {"executions", *(name for node in nodes for name in node.node_type.resources)}


def build_loop_op(graph: WorkflowGraph, node: GraphNode, op_name: str, target: JobTarget):
    """The for_each op: evaluate `items`, yield the chunks (see the module docstring)."""
    plan = retry_plan(node.settings, target.retry_count)
    config: ForEachConfig = node.config
    refs = shared_refs(graph, node)
    nested = nested_nodes(graph, node)

    def fn(context, upstream):
        if is_chunk(upstream[0]):  # a batch of trigger events: the loop runs here, per event
            chunk = merge_chunks(upstream)
            env = ItemEnv(target=target, resources=step_resources(context, target, nested[1:]),
                          concurrency=ITEMS_CONCURRENCY, log=ITEM_LOG)
            BodyRunner(graph).run(env, [node], chunk)
            context.resources.executions.items_logged(
                execution_id=chunk["execution_id"], rows=log_rows(env)
            )
            passed = {**chunk, "passthrough": True}
            yield DynamicOutput(passed, mapping_key="events", output_name=ITEM_HANDLE)
            yield Output({"passthrough": True}, LOOP_STATE)
            return
        executions = context.resources.executions
        state = _enter(context, node, target, upstream)
        attempt = context.retry_number + 1
        log_id = executions.node_started(
            execution_id=state["execution_id"], node_id=node.id, node_type=node.node_type.name,
            node_name=node.label, attempt=attempt, input_data=node.raw_config,
        )
        outcome = execute_node(node, state, target, {}, attempt, log=context.log)
        if outcome.failure is not None:
            handle = _after_failure(context, node, plan, outcome.failure, log_id)
            error = {"handle": handle, "output": outcome.failure.error_object()}
            chunk = {CHUNK_MARK: True, "items": [], "error": error, "loop": node.id}
            yield DynamicOutput(chunk, mapping_key="failed", output_name=ITEM_HANDLE)
            yield Output({"state": state, "log_id": log_id}, LOOP_STATE)
            return
        items = outcome.output["items"]
        shared = {key: state["nodes"][key] for key in refs if key in state["nodes"]}
        chunks = loop_chunks(state, node.id, items, config.batch_size, shared=shared,
                             log_id=log_id)
        width = len(str(len(chunks) - 1))
        for number, chunk in enumerate(chunks):
            key = f"chunk_{number:0{width}d}"
            yield DynamicOutput(chunk, mapping_key=key, output_name=ITEM_HANDLE)
        context.log.info(f"{node.label}: {len(items)} items in {len(chunks)} chunk(s)")
        yield Output({"state": state, "log_id": log_id, "chunks": len(chunks)}, LOOP_STATE)

    return op(
        name=op_name, description=node.label,
        ins={UPSTREAM: In(list)},
        out={ITEM_HANDLE: DynamicOut(dict), LOOP_STATE: Out(dict)},
        required_resource_keys=_keys(nested), retry_policy=plan.policy(),
        tags=_tags(node, "split"),
    )(fn)


def build_body_op(graph: WorkflowGraph, loop: GraphNode, node: GraphNode, op_name: str,
                  target: JobTarget) -> OpDefinition:
    """A body node's op, mapped over the loop's chunks: its node for the chunk's items."""
    config: ForEachConfig = loop.config
    nested = nested_nodes(graph, node)

    def fn(context, chunk):
        if chunk.get("passthrough") or chunk.get("error") or not chunk["items"]:
            yield Output(chunk, CHUNK)
            return
        executions = context.resources.executions
        if chunk["execution_id"]:
            executions.resume(execution_id=chunk["execution_id"], dagster_run_id=context.run_id)
        env = ItemEnv(target=target, resources=step_resources(context, target, nested),
                      concurrency=config.max_concurrency, on_item_error=config.on_item_error,
                      log=ITEM_LOG, suspendable=bool(chunk.get("suspendable")),
                      # one bound for the loop's chunks running at once (thread_executor.py)
                      semaphore=shared_gate((context.run_id, loop.id), config.max_concurrency))
        BodyRunner(graph).run(env, [node], chunk)
        executions.items_logged(execution_id=chunk["execution_id"], rows=log_rows(env))
        if env.suspended:
            _suspend_items(context, node, target, chunk, env)
            return  # no chunk: its later body steps skip, collect waits for it
        if env.failures and config.on_item_error == "fail":
            _, entry, failure = env.failures[0]
            message = (f"{len(env.failures)} item(s) failed at {node.label}; "
                       f"item {entry['index']}: {failure.message}")
            if chunk.get("log_id"):
                executions.node_finished(
                    log_id=chunk["log_id"], status="failed",
                    error_details={"message": message, "error_type": "item_failed",
                                   "node_id": node.id,
                                   "items": [e["index"] for _, e, _ in env.failures][:100]},
                    execution_details={"on_item_error": "fail", "outcome": "stop"},
                )
            raise Failure(description=f"{loop.label}: {message}",
                          metadata={"node_id": node.id, "failed_items": len(env.failures)},
                          allow_retries=False)
        failed = sum(1 for entry in chunk["items"] if entry["failed"])
        yield Output(chunk, CHUNK, metadata={"items": len(chunk["items"]), "failed": failed})

    return op(
        name=op_name, description=node.label, ins={CHUNK: In(dict)},
        out={CHUNK: Out(dict, is_required=False)},
        required_resource_keys=_keys(nested), tags=_tags(node, f"body of {loop.id}"[:200]),
    )(fn)


def _suspend_items(context, node: GraphNode, target: JobTarget, chunk: dict, env: ItemEnv):
    """Items of the chunk suspended at `node` (approvals, long waits): register each with this
    run and step. The chunk goes no further in this run; once every suspension of the
    execution in this run is resolved, a continuation re-executes this step (and the other
    suspended chunks' steps) and everything downstream (automation/resume.py)."""
    executions = context.resources.executions
    step_key = context.get_step_execution_context().step.key
    for _, entry, signal in env.suspended:
        executions.suspended(
            execution_id=chunk["execution_id"], tenant_id=target.tenant.id, node_id=node.id,
            kind=signal.kind, run_id=context.run_id, step_key=step_key, due_at=signal.due_at,
            item_key=f"{chunk['key']}{entry['index']}",
        )
    if chunk.get("log_id"):
        executions.node_finished(
            log_id=chunk["log_id"], status="waiting",
            execution_details={"suspended": env.suspended[0][2].kind, "run_id": context.run_id},
        )
    context.log.info(f"{node.label}: {len(env.suspended)} item(s) wait "
                     f"({env.suspended[0][2].kind}); no worker is held")


def build_collect_op(node: GraphNode, op_name: str) -> OpDefinition:
    """Join the chunks in item order; go out on "done" (or the failed loop's handle)."""
    handles = tuple(h for h in node.handles if h != ITEM_HANDLE)

    def fn(context, chunks, loop):
        if loop.get("passthrough"):  # items mode: each event goes on along its handle
            for handle, part in split_by_handle(merge_chunks(chunks), node.id, handles).items():
                yield Output(part, handle, metadata={"items": len(part["items"])})
            return
        state = loop["state"]
        if len(chunks) < loop.get("chunks", len(chunks)):  # items of some chunks wait
            context.log.info(f"{node.label}: {loop['chunks'] - len(chunks)} chunk(s) wait for "
                             "their items; the loop collects when they resume")
            return
        error = next((chunk["error"] for chunk in chunks if chunk.get("error")), None)
        if error is not None:
            yield Output(with_output(state, node.id, error["output"]), error["handle"])
            return
        output = collected(chunks)
        counts = {key: output[key] for key in ("count", "succeeded", "failed")}
        context.resources.executions.node_finished(
            log_id=loop["log_id"], status="success", output_data=counts, output_handle="done",
            execution_details={"chunks": loop.get("chunks", len(chunks))},
        )
        yield Output(with_output(state, node.id, output), "done", metadata=counts)

    return op(
        name=op_name, description=f"{node.label}: collect",
        ins={"chunks": In(list), "loop": In(dict)},
        out={handle: Out(dict, is_required=False) for handle in handles},
        required_resource_keys={"executions"}, tags=_tags(node, "collect"),
    )(fn)
