"""Run one node once for one flow state: no Dagster context needed.

`execute_node` (and `aexecute_node` for callers already in an event loop, e.g. a for-each body
running items concurrently) evaluates the node's config, runs it and returns a NodeOutcome:
output and handle, or the failure. It never raises for a node failure; retries, on_error and
logging are the caller's (the Dagster op in node_op.py).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from automation.nodes.base import NodeError, NodeResult, NodeRunContext

from .expressions import ExpressionError, render_config
from .graph import GraphNode
from .state import FlowState
from .target import JobTarget

STACK_CAP = 8000
INPUT_CAP = 16 * 1024  # bytes of the failed node's input carried in its error object


def _capped(value: Any) -> Any:
    """`value` as JSON; over INPUT_CAP it becomes {"_truncated", "preview", "size"}."""
    text = json.dumps(value, default=str, ensure_ascii=False)
    if len(text.encode()) <= INPUT_CAP:
        return json.loads(text)
    preview = text.encode()[:INPUT_CAP].decode(errors="ignore")
    return {"_truncated": True, "preview": preview, "size": len(text.encode())}


@dataclass
class NodeFailure:
    """Why an attempt failed. `error_object()` flows downstream; the stack stays in the log."""

    message: str
    error_type: str
    transient: bool
    node_id: str
    attempt: int
    input: Any
    stack: str | None = None  # unexpected errors only
    exception: BaseException | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_exception(
        cls, exc: BaseException, *, node_id: str, attempt: int, input: Any
    ) -> NodeFailure:
        """NodeErrors keep their type and transience; anything else is an unexpected error
        (assumed transient, as it may be a passing fault) and keeps its stack trace."""
        known = isinstance(exc, NodeError)
        return cls(
            message=str(exc) or type(exc).__name__,
            error_type=exc.error_type if known else type(exc).__name__,
            transient=exc.transient if known else True,
            node_id=node_id,
            attempt=attempt,
            input=input,
            stack=None if known else "".join(traceback.format_exception(exc))[-STACK_CAP:],
            exception=exc,
        )

    def error_object(self) -> dict[str, Any]:
        """The error as a node output (on_error continue/branch): never a stack trace."""
        return {
            "message": self.message,
            "error_type": self.error_type,
            "node_id": self.node_id,
            "attempt": self.attempt,
            "transient": self.transient,
            "input": _capped(self.input),
        }

    def log_details(self) -> dict[str, Any]:
        """The execution log's error_details: the error object without input, plus the stack."""
        details = {k: v for k, v in self.error_object().items() if k != "input"}
        if self.stack is not None:
            details["stack"] = self.stack
        return details


@dataclass
class NodeOutcome:
    """One attempt of one node: output and handle, or the failure."""

    input: Any  # the config as evaluated (as authored when evaluation failed)
    output: Any = None
    handle: str | None = None
    failure: NodeFailure | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None


def expression_context(state: FlowState, target: JobTarget) -> dict[str, Any]:
    """The names node config expressions may use (`item` and `index` inside a for-each)."""
    context = {
        "trigger": state["trigger"],
        "nodes": state["nodes"],
        "execution": {
            "id": state["execution_id"],
            "workflow_id": target.workflow_id,
            "version": target.version_number,
        },
        "workflow": {"id": target.workflow_id, "name": target.workflow_name},
    }
    if "item" in state:
        context["item"], context["index"] = state["item"], state.get("index")
    return context


def resolve_config(node: GraphNode, state: FlowState, target: JobTarget) -> tuple[Any, Any]:
    """Evaluate the node's expressions and validate the result; returns (rendered, config)."""
    try:
        rendered = render_config(node.raw_config, expression_context(state, target))
    except ExpressionError as exc:
        raise NodeError(str(exc), error_type="expression_error") from exc
    try:
        config = node.node_type.config_model.model_validate(
            rendered, context={"evaluated": True}
        )
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


class _Attempt:
    """The shared steps of one attempt, for the sync and async entry points."""

    def __init__(self, node, state, target, resources, attempt, log) -> None:
        self.node = node
        self.input, self.config = resolve_config(node, state, target)
        self.ctx = NodeRunContext(
            node_id=node.id,
            node_type=node.node_type.name,
            label=node.label,
            tenant=target.tenant,
            execution_id=state["execution_id"],
            workflow_id=target.workflow_id,
            attempt=attempt,
            resources=dict(resources),
            log=log or logging.getLogger("automation.node"),
            state={"trigger": state["trigger"], "nodes": state["nodes"]},
            item_key=state.get("item_key"),
            can_suspend="item_key" not in state or bool(state.get("suspendable")),
        )

    def done(self, result: Any) -> NodeOutcome:
        if not isinstance(result, NodeResult):
            raise TypeError(
                f"node type {self.node.node_type.name} returned {type(result).__name__}"
            )
        if result.handle not in self.node.handles:
            raise NodeError(
                f"node chose handle {result.handle!r}, not one of {list(self.node.handles)}"
            )
        return NodeOutcome(input=self.input, output=result.output, handle=result.handle)


def _failed(node: GraphNode, exc: BaseException, attempt: int, input: Any) -> NodeOutcome:
    failure = NodeFailure.from_exception(exc, node_id=node.id, attempt=attempt, input=input)
    return NodeOutcome(input=input, failure=failure)


def execute_node(
    node: GraphNode,
    state: FlowState,
    target: JobTarget,
    resources: Mapping[str, Any],
    attempt: int = 1,
    *,
    log: Any = None,
) -> NodeOutcome:
    """Run `node` once for `state` (resources: tenant-scoped clients by name)."""
    current: _Attempt | None = None
    try:
        current = _Attempt(node, state, target, resources, attempt, log)
        result = node.node_type.run(current.ctx, current.config)
        if inspect.isawaitable(result):
            result = asyncio.run(_await(result))
        return current.done(result)
    except Exception as exc:  # noqa: BLE001 - a failure is an outcome, the caller decides
        return _failed(node, exc, attempt, current.input if current else node.raw_config)


async def aexecute_node(
    node: GraphNode,
    state: FlowState,
    target: JobTarget,
    resources: Mapping[str, Any],
    attempt: int = 1,
    *,
    log: Any = None,
) -> NodeOutcome:
    """`execute_node` for callers in an event loop (async node types are awaited in it)."""
    current: _Attempt | None = None
    try:
        current = _Attempt(node, state, target, resources, attempt, log)
        result = node.node_type.run(current.ctx, current.config)
        if inspect.isawaitable(result):
            result = await result
        return current.done(result)
    except Exception as exc:  # noqa: BLE001 - a failure is an outcome, the caller decides
        return _failed(node, exc, attempt, current.input if current else node.raw_config)


async def _await(awaitable: Any) -> Any:
    return await awaitable


def execute_node_batch(
    node: GraphNode,
    states: list[FlowState],
    target: JobTarget,
    resources: Mapping[str, Any],
    attempt: int = 1,
    *,
    log: Any = None,
) -> list[NodeOutcome]:
    """`execute_node` for many states at once through the node type's `run_batch` (one call
    for the items whose config evaluated); one outcome per state, in order. The caller runs
    it in a transaction (and, should `run_batch` itself raise, falls back to one run each)."""
    outcomes: list[NodeOutcome | None] = [None] * len(states)
    attempts: list[tuple[int, _Attempt]] = []
    for position, state in enumerate(states):
        try:
            attempts.append((position, _Attempt(node, state, target, resources, attempt, log)))
        except Exception as exc:  # noqa: BLE001 - that item's failure
            outcomes[position] = _failed(node, exc, attempt, node.raw_config)
    if attempts:
        results = node.node_type.run_batch([(a.ctx, a.config) for _, a in attempts])
        if len(results) != len(attempts):
            raise RuntimeError(
                f"{node.node_type.name}.run_batch gave {len(results)} results for "
                f"{len(attempts)} items"
            )
        for (position, current), result in zip(attempts, results, strict=True):
            try:
                if isinstance(result, BaseException):
                    raise result
                outcomes[position] = current.done(result)
            except Exception as exc:  # noqa: BLE001 - that item's failure
                outcomes[position] = _failed(node, exc, attempt, current.input)
    return outcomes  # type: ignore[return-value]
