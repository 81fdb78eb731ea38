"""The one declaration of a node type, and what its `run` receives and returns."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Generic, Literal, TypeVar, Union

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

DEFAULT_HANDLE = "out"
# The extra output handle of a node whose `on_error` is "branch".
ERROR_HANDLE = "error"


class NodeConfig(BaseModel):
    """Base of every node's config model: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


class RetrySettings(BaseModel):
    """Retries of one node, on top of the workflow's default (a field left out keeps it)."""

    model_config = ConfigDict(extra="forbid")

    count: int | None = Field(
        default=None, ge=0, le=10, description="Retries after the first attempt"
    )
    backoff_base_s: float | None = Field(
        default=None,
        ge=0,
        le=600,
        description="Base delay in seconds; doubles with each retry (exponential, with jitter)",
    )
    max_delay_s: float | None = Field(
        default=None, gt=0, le=3600, description="Longest wait between two attempts, in seconds"
    )
    only_transient: bool | None = Field(
        default=None,
        description="Retry only transient errors (timeouts, 429, 5xx, unexpected crashes), "
        "never errors a user must fix (4xx, invalid config, refused target)",
    )


class NodeSettings(BaseModel):
    """Settings every node has, whatever its type: what happens when it fails, and its retries."""

    model_config = ConfigDict(extra="forbid")

    on_error: Literal["stop", "continue", "branch"] = Field(
        default="stop",
        description="After the last attempt fails: stop the execution (stop), go on with the "
        "error object as the node's output on its first handle (continue), or send the error "
        "object down the extra 'error' handle and skip the others (branch)",
    )
    retry: RetrySettings | None = Field(
        default=None, description="Override the workflow's retry settings for this node"
    )


# A config value that is an expression, e.g. "{{ trigger.record.id }}".
ExpressionStr = Annotated[str, StringConstraints(pattern=r"\{\{.*\}\}", min_length=4)]
T = TypeVar("T")
# A typed field that may also be given as an expression, evaluated when the node runs.
Templated = Union[T, ExpressionStr]  # noqa: UP007


class NodeError(Exception):
    """A node failed for a reason its author or the data can fix; the message is shown as is."""

    def __init__(self, message: str, *, error_type: str = "node_error", transient: bool = False):
        super().__init__(message)
        self.error_type = error_type
        self.transient = transient


class NodeSuspended(NodeError):
    """Raised by a node's `run` to suspend the execution at this node (approval, long wait).

    The node's op records the node as "waiting", emits no output (downstream steps skip and
    the run ends without holding any worker) and registers the suspension; a decision or the
    due time starts a continuation run from this node, where `run` is called again and finds
    its resolution. Inside a top-level for-each body each item suspends on its own (see
    item_exec.py); where a node cannot suspend (a nested loop, a batch of trigger events) this
    is an ordinary, non-retried node error.
    """

    def __init__(self, *, kind: str, output: Any = None, due_at: Any = None):
        super().__init__(
            f"a {kind} cannot suspend here (inside a nested for-each or a batch of events)",
            error_type="suspension_not_supported",
        )
        self.kind = kind
        self.output = output
        self.due_at = due_at


@dataclass
class NodeResult:
    """What a node produced, and which output handle it goes out on."""

    output: Any
    handle: str = DEFAULT_HANDLE


@dataclass
class TenantRef:
    id: int
    slug: str


@dataclass
class NodeRunContext:
    """What a node's `run` may use: its identity, the tenant, the resources it declared."""

    node_id: str
    node_type: str
    label: str
    tenant: TenantRef
    execution_id: str | None
    workflow_id: str | None
    attempt: int
    # Resource name -> tenant-scoped client, only for names the node type declared.
    resources: dict[str, Any] = field(default_factory=dict)
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("automation.node"))
    # Trigger payload and upstream outputs (read-only view), for nodes that need it whole.
    state: dict[str, Any] = field(default_factory=dict)
    # Which item this run is for, inside a for-each or a batch of trigger events (e.g. "3" or
    # "3/0"); with the execution and node it makes side effects idempotent per item.
    item_key: str | None = None
    # Whether the node may suspend the execution here: at the top level and for the items of
    # a top-level for-each; not in a nested loop or a batch of trigger events.
    can_suspend: bool = True

    def resource(self, name: str) -> Any:
        try:
            return self.resources[name]
        except KeyError:
            raise RuntimeError(
                f"node type {self.node_type!r} did not declare resource {name!r}"
            ) from None


C = TypeVar("C", bound=NodeConfig)
RunFn = Callable[[NodeRunContext, Any], Union[NodeResult, Awaitable[NodeResult]]]  # noqa: UP007
# Many runs of one node at once (the items of a for-each chunk): (ctx, config) pairs in, one
# NodeResult or exception per pair out, in order. Sync only; called inside a transaction.
BatchRunFn = Callable[[list[tuple[NodeRunContext, Any]]], list[Union[NodeResult, BaseException]]]  # noqa: UP007,E501


@dataclass(frozen=True)
class NodeType(Generic[C]):
    """One node type: everything else (validation, compile, catalogue, docs) derives from it."""

    name: str
    label: str
    category: str
    config_model: type[C]
    run: RunFn
    handles: tuple[str, ...] = (DEFAULT_HANDLE,)
    # For node types whose handles depend on the config (e.g. one per classification label).
    handles_for: Callable[[C], tuple[str, ...]] | None = None
    resources: frozenset[str] = frozenset()
    is_trigger: bool = False
    type_version: int = 1
    # Optional: the same as `run` for many items at once (e.g. one bulk write per chunk), with
    # the same results and side effects as calling `run` for each in turn; an item's exception
    # fails that item only. Sync node types only (the for-each body uses it per chunk).
    run_batch: BatchRunFn | None = None

    @property
    def summary(self) -> str:
        """First line of the config model's docstring: the palette summary."""
        doc = inspect.getdoc(self.config_model) or ""
        return doc.strip().splitlines()[0] if doc.strip() else self.label

    @property
    def description(self) -> str:
        return inspect.getdoc(self.config_model) or self.label

    def output_handles(self, config: C | None) -> tuple[str, ...]:
        """The node's output handles for this config."""
        if self.handles_for is not None and config is not None:
            return tuple(self.handles_for(config))
        return self.handles

    def catalogue_entry(self) -> dict[str, Any]:
        """The node catalogue entry served to the builder."""
        return {
            "type": self.name,
            "label": self.label,
            "category": self.category,
            "summary": self.summary,
            "description": self.description,
            "handles": list(self.handles),
            "dynamic_handles": self.handles_for is not None,
            "resources": sorted(self.resources),
            "is_trigger": self.is_trigger,
            "type_version": self.type_version,
            "config_schema": self.config_model.model_json_schema(),
        }
