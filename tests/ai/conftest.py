"""Fixtures for AI tests: the real local model server on 127.0.0.1, tenants pointed at it."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterator
from typing import Any

import pytest

from automation.model_server.runner import RunningServer, start_in_thread
from automation.nodes.base import NodeResult, NodeRunContext
from automation.nodes.registry import get_node_type
from crm.tenants.services import ai_settings_set
from crm_resources.ai import AIResource, TenantAIClient
from crm_resources.tenancy import tenant_ref

# The tenant's API key: the server requires it, and no log, error or output may contain it.
API_KEY = "sk-test-4f9a8e7d-DO-NOT-LEAK-91c2"
# Fast retries for tests; the policy's shape is the production one.
FAST = {"max_attempts": 4, "backoff_base_s": 0.01, "backoff_max_s": 0.05}


@pytest.fixture(scope="session")
def model_server_session() -> Iterator[RunningServer]:
    server = start_in_thread(latency_s=0.0, api_key=API_KEY, hang_s=30.0)
    yield server
    server.stop()


@pytest.fixture
def model_server(model_server_session: RunningServer) -> RunningServer:
    """The session's model server with zeroed counters, no latency, no pending failures."""
    model_server_session.control(latency=0.0)
    model_server_session.reset()
    return model_server_session


@pytest.fixture
def ai_tenant(tenant, model_server):
    """The `acme` tenant with AI settings pointing at the local model server."""
    ai_settings_set(
        tenant=tenant, api_key=API_KEY, base_url=model_server.base_url, model="local-echo",
        max_tokens=256, request_timeout_s=5.0, max_concurrent_requests=8,
        monthly_token_budget=1_000_000,
    )
    return tenant


def ai_client(tenant: Any, **policy: Any) -> TenantAIClient:
    """The tenant's client from the real resource (fast retries unless overridden)."""
    return AIResource(**{**FAST, **policy}).for_tenant(tenant_ref(tenant))


def make_ctx(
    tenant: Any, node_type: str, *, execution_id: str | None = "exec-1",
    workflow_id: str | None = "wf-1", node_id: str = "ai_1", **policy: Any,
) -> NodeRunContext:
    declared = get_node_type(node_type)
    assert declared is not None
    return NodeRunContext(
        node_id=node_id, node_type=node_type, label=declared.label, tenant=tenant_ref(tenant),
        execution_id=execution_id, workflow_id=workflow_id, attempt=1,
        resources={"ai": ai_client(tenant, **policy)},
    )


def run_node(ctx: NodeRunContext, config: dict[str, Any]) -> NodeResult:
    """Validate the config with the node's model and run it in a fresh event loop."""
    declared = get_node_type(ctx.node_type)
    assert declared is not None
    result = declared.run(ctx, declared.config_model.model_validate(config))
    return asyncio.run(result) if inspect.isawaitable(result) else result
