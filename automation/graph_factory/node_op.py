"""One Dagster op per workflow node: evaluate config, run the node, record it, pick the handle."""

from __future__ import annotations

import asyncio
import inspect
import traceback
from typing import Any

from dagster import (
    Backoff,
    Failure,
    Field,
    In,
    Jitter,
    OpDefinition,
    Out,
    Output,
    Permissive,
    RetryPolicy,
    op,
)
from pydantic import ValidationError

from automation.nodes.base import NodeError, NodeResult, NodeRunContext

from .expressions import ExpressionError, render_config
from .graph import GraphNode
from .state import FlowState, initial_state, merge_states, with_output
from .target import JobTarget

EXECUTION_TAG = "crm/execution_id"
SOURCE_TAG = "crm/source"
UPSTREAM = "upstream"


def retry_policy(retry_count: int) -> RetryPolicy | None:
    """The workflow's retry count as a Dagster retry policy with exponential backoff."""
    if retry_count <= 0:
        return None
    return RetryPolicy(
        max_retries=retry_count, delay=1.0, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS
    )


def _expression_context(state: FlowState, target: JobTarget) -> dict[str, Any]:
    return {
        "trigger": state["trigger"],
        "nodes": state["nodes"],
        "execution": {
            "id": state["execution_id"],
            "workflow_id": target.workflow_id,
            "version": target.version_number,
        },
        "workflow": {"id": target.workflow_id, "name": target.workflow_name},
    }


def _resolve_config(node: GraphNode, state: FlowState, target: JobTarget) -> tuple[Any, Any]:
    """Evaluate the node's expressions and validate the result; returns (rendered, config)."""
    try:
        rendered = render_config(node.raw_config, _expression_context(state, target))
    except ExpressionError as exc:
        raise NodeError(str(exc), error_type="expression_error") from exc
    try:
        config = node.node_type.config_model.model_validate(rendered)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in err['loc']) or 'config'}: {err['msg']}"
            for err in exc.errors()
        )
        raise NodeError(
            f"config is invalid after evaluating expressions: {problems}",
            error_type="invalid_config",
        ) from exc
    return rendered, config


def _run_node(node: GraphNode, ctx: NodeRunContext, config: Any) -> NodeResult:
    outcome = node.node_type.run(ctx, config)
    if inspect.isawaitable(outcome):
        outcome = asyncio.run(_await(outcome))
    if not isinstance(outcome, NodeResult):
        raise TypeError(f"node type {node.node_type.name} returned {type(outcome).__name__}")
    if outcome.handle not in node.handles:
        raise NodeError(f"node chose handle {outcome.handle!r}, not one of {list(node.handles)}")
    return outcome


async def _await(awaitable: Any) -> Any:
    return await awaitable


def _error_details(exc: BaseException, attempt: int, node: GraphNode) -> dict[str, Any]:
    details: dict[str, Any] = {
        "message": str(exc) or type(exc).__name__,
        "error_type": getattr(exc, "error_type", type(exc).__name__),
        "node_id": node.id,
        "attempt": attempt,
        "transient": bool(getattr(exc, "transient", False)),
    }
    if not isinstance(exc, NodeError):
        details["stack"] = "".join(traceback.format_exception(exc))[-8000:]
    return details


def build_node_op(node: GraphNode, op_name: str, target: JobTarget) -> OpDefinition:
    """The op of one node: one output per handle (optional, so untaken branches skip)."""
    node_type = node.node_type
    outs = {handle: Out(dict, is_required=False) for handle in node.handles}
    resource_keys = {"executions", *node_type.resources}
    ins = {} if node_type.is_trigger else {UPSTREAM: In(list)}
    config_schema = (
        {"payload": Field(Permissive(), is_required=False, description="Trigger payload")}
        if node_type.is_trigger
        else None
    )

    def compute(context, upstream: list[FlowState] | None = None):
        executions = context.resources.executions
        attempt = context.retry_number + 1
        if node_type.is_trigger:
            payload = (context.op_config or {}).get("payload")
            if payload is None:
                payload = node.raw_config.get("sample_payload", {})
            execution_id = executions.begin(
                execution_id=context.run.tags.get(EXECUTION_TAG),
                tenant_id=target.tenant.id,
                workflow_id=target.workflow_id,
                version_id=target.version_id,
                dagster_run_id=context.run_id,
                trigger_data=payload,
                source=context.run.tags.get(SOURCE_TAG, "dagster"),
            )
            state = initial_state(execution_id, payload)
        else:
            state = merge_states(upstream or [])
            if state["execution_id"]:
                executions.resume(execution_id=state["execution_id"], dagster_run_id=context.run_id)
        execution_id = state["execution_id"]
        log_id = executions.node_started(
            execution_id=execution_id,
            node_id=node.id,
            node_type=node_type.name,
            node_name=node.label,
            attempt=attempt,
            input_data=node.raw_config,
        )
        try:
            _rendered, config = _resolve_config(node, state, target)
            ctx = NodeRunContext(
                node_id=node.id,
                node_type=node_type.name,
                label=node.label,
                tenant=target.tenant,
                execution_id=execution_id,
                workflow_id=target.workflow_id,
                attempt=attempt,
                resources={
                    name: getattr(context.resources, name).for_tenant(target.tenant)
                    for name in node_type.resources
                },
                log=context.log,
                state={"trigger": state["trigger"], "nodes": state["nodes"]},
            )
            result = _run_node(node, ctx, config)
        except Exception as exc:
            details = _error_details(exc, attempt, node)
            executions.node_finished(log_id=log_id, status="failed", error_details=details)
            if isinstance(exc, NodeError) and not exc.transient:
                raise Failure(
                    description=f"{node.label}: {details['message']}",
                    allow_retries=False,
                ) from exc
            raise
        executions.node_finished(
            log_id=log_id, status="success", output_data=result.output, output_handle=result.handle
        )
        yield Output(with_output(state, node.id, result.output), result.handle)

    if node_type.is_trigger:

        def fn(context):
            yield from compute(context)

    else:

        def fn(context, upstream):
            yield from compute(context, upstream)

    return op(
        name=op_name,
        description=node.label,
        ins=ins,
        out=outs,
        config_schema=config_schema,
        required_resource_keys=resource_keys,
        retry_policy=retry_policy(target.retry_count),
        tags={"node_type": node_type.name, "node_id": node.id[:200]},
    )(fn)
