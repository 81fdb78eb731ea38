"""One Dagster op per workflow node: enter the flow, run the node (node_exec), record the
attempt, then pick the handle, ask Dagster for a retry, or apply the node's on_error."""

from __future__ import annotations

from typing import Any

from dagster import (
    Failure,
    Field,
    In,
    Noneable,
    OpDefinition,
    Out,
    Output,
    Permissive,
    RetryRequested,
    op,
)

from automation.nodes.base import ERROR_HANDLE, NodeSuspended

from .error_policy import RetryPlan, decide, retry_plan
from .graph import GraphNode
from .items import is_chunk
from .items_mode import run_items_step, start_events
from .node_exec import NodeFailure, NodeOutcome, execute_node
from .node_settings import continue_handle
from .state import FlowState, initial_state, merge_states, with_output
from .target import JobTarget

EXECUTION_TAG = "crm/execution_id"
SOURCE_TAG = "crm/source"
UPSTREAM = "upstream"


def _enter(context, node: GraphNode, target: JobTarget, upstream: list[FlowState] | None):
    """The flow state this node runs with (the trigger begins the execution)."""
    executions = context.resources.executions
    if node.node_type.is_trigger:
        config = context.op_config or {}
        payload = config.get("payload")
        if config.get("items") is not None:  # a batch of events (items_mode.py)
            payload = {"items": config["items"]}
        elif payload is None:
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
        return initial_state(execution_id, payload)
    state = merge_states(upstream or [])
    if state["execution_id"]:
        executions.resume(execution_id=state["execution_id"], dagster_run_id=context.run_id)
    return state


def _suspend(context, node: GraphNode, target: JobTarget, execution_id, signal, log_id: str):
    """The node suspended the execution: record it as waiting and where to resume from, and
    emit no output, so downstream steps skip and the run ends without holding a worker."""
    due_at = signal.due_at
    executions = context.resources.executions
    executions.node_finished(
        log_id=log_id,
        status="waiting",
        output_data=signal.output,
        execution_details={
            "suspended": signal.kind,
            "due_at": due_at.isoformat() if due_at is not None else None,
            "run_id": context.run_id,
        },
    )
    executions.suspended(
        execution_id=execution_id,
        tenant_id=target.tenant.id,
        node_id=node.id,
        kind=signal.kind,
        run_id=context.run_id,
        step_key=context.get_step_execution_context().step.key,
        due_at=due_at,
    )
    context.log.info(f"{node.label}: the execution waits ({signal.kind}); no worker is held")


def _retries_enabled(context) -> bool:
    return not context.get_step_execution_context().retry_mode.disabled


def _after_failure(context, node: GraphNode, plan: RetryPlan, failure: NodeFailure, log_id: str):
    """Record the failed attempt; retry it, fail the step, or name the handle the error takes."""
    decision = decide(
        plan,
        node.settings,
        transient=failure.transient,
        attempt=failure.attempt,
        retries_enabled=_retries_enabled(context),
    )
    details: dict[str, Any] = {"on_error": node.settings.on_error, "outcome": decision}
    handle = None
    if decision == "continue":
        handle = continue_handle(node.handles)
    elif decision == "branch":
        handle = ERROR_HANDLE
    if decision == "retry":
        details["retry_in_s"] = round(plan.delay_s(failure.attempt), 3)
    context.resources.executions.node_finished(
        log_id=log_id,
        status="failed",
        output_data=failure.error_object() if handle else None,
        output_handle=handle or "",
        error_details=failure.log_details(),
        execution_details=details,
    )
    message = f"{node.label}: {failure.message}"
    cause = failure.exception
    if decision == "retry":
        context.log.warning(f"attempt {failure.attempt} failed, retrying: {message}")
        raise RetryRequested(
            max_retries=plan.count, seconds_to_wait=details["retry_in_s"]
        ) from cause
    if handle is None:  # stop: the execution fails
        raise Failure(
            description=message,
            metadata={
                "node_id": node.id,
                "error_type": failure.error_type,
                "attempt": failure.attempt,
            },
            allow_retries=False,
        ) from cause
    context.log.warning(f"attempt {failure.attempt} failed, on_error={decision}: {message}")
    return handle


def build_node_op(node: GraphNode, op_name: str, target: JobTarget) -> OpDefinition:
    """The op of one node: one output per handle (optional, so untaken branches skip)."""
    node_type = node.node_type
    plan = retry_plan(node.settings, target.retry_count)
    outs = {handle: Out(dict, is_required=False) for handle in node.handles}
    config_schema = (
        {
            "payload": Field(Permissive(), is_required=False, description="Trigger payload"),
            "items": Field(
                Noneable([Permissive()]),
                is_required=False,
                description="A batch of event payloads: every node runs once per payload",
            ),
        }
        if node_type.is_trigger
        else None
    )

    def compute(context, upstream: list[FlowState] | None = None):
        executions = context.resources.executions
        if upstream and is_chunk(upstream[0]):  # a batch of trigger events
            yield from run_items_step(context, node, target, upstream)
            return
        state = _enter(context, node, target, upstream)
        if node_type.is_trigger and (context.op_config or {}).get("items") is not None:
            payloads = list(context.op_config["items"])
            yield Output(start_events(context, node, state["execution_id"], payloads), "out")
            return
        attempt = context.retry_number + 1
        log_id = executions.node_started(
            execution_id=state["execution_id"],
            node_id=node.id,
            node_type=node_type.name,
            node_name=node.label,
            attempt=attempt,
            input_data=node.raw_config,
        )
        try:
            resources = {
                name: getattr(context.resources, name).for_tenant(target.tenant)
                for name in node_type.resources
            }
        except Exception as exc:  # a resource that cannot serve the tenant fails the attempt
            failure = NodeFailure.from_exception(
                exc, node_id=node.id, attempt=attempt, input=node.raw_config
            )
            outcome = NodeOutcome(input=node.raw_config, failure=failure)
        else:
            outcome = execute_node(node, state, target, resources, attempt, log=context.log)
        if outcome.failure is None:
            executions.node_finished(
                log_id=log_id,
                status="success",
                output_data=outcome.output,
                output_handle=outcome.handle,
            )
            yield Output(with_output(state, node.id, outcome.output), outcome.handle)
            return
        failure = outcome.failure
        if isinstance(failure.exception, NodeSuspended):  # approval, long wait
            _suspend(context, node, target, state["execution_id"], failure.exception, log_id)
            return
        handle = _after_failure(context, node, plan, failure, log_id)
        yield Output(
            with_output(state, node.id, failure.error_object()),
            handle,
            metadata={
                "on_error": node.settings.on_error,
                "error_type": failure.error_type,
                "error": failure.message[:500],
            },
        )

    if node_type.is_trigger:

        def fn(context):
            yield from compute(context)

    else:

        def fn(context, upstream):
            yield from compute(context, upstream)

    return op(
        name=op_name,
        description=node.label,
        ins={} if node_type.is_trigger else {UPSTREAM: In(list)},
        out=outs,
        config_schema=config_schema,
        required_resource_keys={"executions", *node_type.resources},
        retry_policy=plan.policy(),
        tags={
            "node_type": node_type.name,
            "node_id": node.id[:200],
            "on_error": node.settings.on_error,
        },
    )(fn)
