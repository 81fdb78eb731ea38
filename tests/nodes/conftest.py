"""Helpers for node tests: contexts built from the real resources, real local HTTP servers."""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from automation.nodes.base import NodeResult, NodeRunContext
from automation.nodes.registry import get_node_type
from crm_resources.http import HttpResource
from crm_resources.notify import NotifyResource
from crm_resources.records import RecordsResource
from crm_resources.secrets import SecretsResource
from crm_resources.suspensions import SuspensionsResource
from crm_resources.tenancy import tenant_ref

RESOURCES = {
    "records": RecordsResource(),
    "http": HttpResource(),
    "secrets": SecretsResource(),
    "notify": NotifyResource(),
    "suspensions": SuspensionsResource(),
}


def make_ctx(tenant: Any, node_type: str, *, execution_id: str | None = None) -> NodeRunContext:
    """A run context with tenant-scoped clients from the real resources' for_tenant."""
    declared = get_node_type(node_type)
    assert declared is not None, node_type
    ref = tenant_ref(tenant)
    return NodeRunContext(
        node_id="node_1",
        node_type=node_type,
        label=declared.label,
        tenant=ref,
        execution_id=execution_id,
        workflow_id=None,
        attempt=1,
        resources={name: RESOURCES[name].for_tenant(ref) for name in declared.resources},
    )


def run_node(ctx: NodeRunContext, config: dict[str, Any]) -> NodeResult:
    """Validate the config with the node's model and call its real `run` (sync or async)."""
    declared = get_node_type(ctx.node_type)
    assert declared is not None
    result = declared.run(ctx, declared.config_model.model_validate(config))
    if not inspect.isawaitable(result):
        return result

    async def _run() -> NodeResult:
        try:
            return await result
        finally:
            if "http" in ctx.resources:
                await ctx.resources["http"].aclose()

    return asyncio.run(_run())


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # e.g. a client that timed out and hung up; the test asserts on the client side


class LocalServer:
    """A real HTTP server on 127.0.0.1 (ephemeral port) serving in a thread."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]):
        self.httpd = _Server(("127.0.0.1", 0), handler)
        self.httpd.hits = []  # type: ignore[attr-defined]
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def hits(self) -> list[dict[str, Any]]:
        return self.httpd.hits  # type: ignore[attr-defined]

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


@pytest.fixture
def serve() -> Iterator[Callable[[type[BaseHTTPRequestHandler]], LocalServer]]:
    """Start real HTTP servers for a test: serve(HandlerClass) -> LocalServer."""
    servers: list[LocalServer] = []

    def _serve(handler: type[BaseHTTPRequestHandler]) -> LocalServer:
        server = LocalServer(handler)
        server.thread.start()
        servers.append(server)
        return server

    yield _serve
    for server in servers:
        server.httpd.shutdown()
        server.httpd.server_close()
