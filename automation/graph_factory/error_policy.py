"""What a node failure leads to: its retry plan (a Dagster RetryPolicy) and its on_error outcome.

A node's retries are the workflow's (`retry_count`, 1 s exponential backoff with jitter,
transient errors only) unless its `settings.retry` overrides a field. Dagster's RetryPolicy has
no maximum delay, so the op asks for each retry itself (`RetryRequested`) with the policy's own
delay for that attempt, capped at `max_delay_s`; the policy stays on the op, where the Dagster
UI shows it and where it covers errors outside the node's run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from dagster import Backoff, Jitter, RetryPolicy

from automation.nodes.base import NodeSettings, RetrySettings

DEFAULT_BACKOFF_BASE_S = 1.0
Decision = Literal["retry", "stop", "continue", "branch"]


@dataclass(frozen=True)
class RetryPlan:
    count: int
    backoff_base_s: float = DEFAULT_BACKOFF_BASE_S
    max_delay_s: float | None = None
    only_transient: bool = True

    def policy(self) -> RetryPolicy | None:
        """The Dagster retry policy: `count` retries, exponential backoff with jitter."""
        if self.count <= 0:
            return None
        return RetryPolicy(
            max_retries=self.count,
            delay=self.backoff_base_s,
            backoff=Backoff.EXPONENTIAL,
            jitter=Jitter.PLUS_MINUS,
        )

    def retries(self, *, transient: bool, attempt: int) -> bool:
        """Whether attempt number `attempt` (1-based), failed so, gets another one."""
        return attempt <= self.count and (transient or not self.only_transient)

    def delay_s(self, attempt: int) -> float:
        """Seconds to wait after failed attempt `attempt`: the policy's delay, capped."""
        policy = self.policy()
        delay = float(policy.calculate_delay(attempt)) if policy is not None else 0.0
        if self.max_delay_s is not None:
            delay = min(delay, self.max_delay_s)
        return max(0.0, delay)


def retry_plan(settings: NodeSettings, workflow_retry_count: int) -> RetryPlan:
    """The node's retry plan: the workflow default with the node's overrides on top."""
    override = settings.retry or RetrySettings()
    return RetryPlan(
        count=max(0, workflow_retry_count) if override.count is None else override.count,
        backoff_base_s=(
            DEFAULT_BACKOFF_BASE_S if override.backoff_base_s is None else override.backoff_base_s
        ),
        max_delay_s=override.max_delay_s,
        only_transient=True if override.only_transient is None else override.only_transient,
    )


def decide(
    plan: RetryPlan,
    settings: NodeSettings,
    *,
    transient: bool,
    attempt: int,
    retries_enabled: bool = True,
) -> Decision:
    """After a failed attempt: retry it, or its final outcome (the node's on_error)."""
    if retries_enabled and plan.retries(transient=transient, attempt=attempt):
        return "retry"
    return settings.on_error
