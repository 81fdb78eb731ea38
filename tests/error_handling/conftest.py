"""Fixtures for error handling: a local HTTP server that fails on demand, and workflow runs on
the session's real Dagster instance."""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from automation.graph_factory.compile import compile_job, trigger_run_config
from automation.graph_factory.target import JobTarget
from automation.graph_factory.validate import validate_definition
from automation.instance import get_instance
from automation.nodes.base import TenantRef
from automation.resources import default_resources
from crm.workflows.models import WorkflowExecution
from crm.workflows.services import execution_create, execution_finish


class FailingServer:
    """Answers GET /<name> with the statuses planned for that path, in order, then 200.

    The JSON body says which call it was; `calls(name)` counts the requests a path received.
    """

    def __init__(self) -> None:
        self.plans: dict[str, list[int]] = {}
        self.counts: dict[str, int] = defaultdict(int)
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _handler(self):
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                name = self.path.strip("/").split("?")[0]
                with owner.lock:
                    owner.counts[name] += 1
                    call = owner.counts[name]
                    plan = owner.plans.get(name, [])
                    status = plan[call - 1] if call <= len(plan) else 200
                body = json.dumps({"path": name, "call": call}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler

    def plan(self, name: str, statuses: list[int]) -> str:
        """Plan the answers of /<name>; returns its URL."""
        self.plans[name] = statuses
        return self.url(name)

    def always(self, name: str, status: int) -> str:
        return self.plan(name, [status] * 100)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{name}"

    def calls(self, name: str) -> int:
        return self.counts[name]


@pytest.fixture
def server():
    running = FailingServer()
    running.thread.start()
    yield running
    running.server.shutdown()


@pytest.fixture
def local_tenant(tenant):
    tenant.http_allowed_hosts = ["127.0.0.1"]
    tenant.save()
    return tenant


def node(
    node_id: str,
    node_type: str,
    config: dict[str, Any] | None = None,
    settings: dict[str, Any] | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {"label": node_id, "config": config or {}}
    if settings is not None:
        data["settings"] = settings
    return {"id": node_id, "type": node_type, "position": {"x": 0, "y": 0}, "data": data}


def edge(source: str, target: str, handle: str | None = None) -> dict[str, Any]:
    item = {"id": f"{source}-{handle or 'out'}-{target}", "source": source, "target": target}
    if handle:
        item["sourceHandle"] = handle
    return item


def call(url: str) -> dict[str, Any]:
    return {"url": url, "timeout_s": 5}


def note(title: str) -> dict[str, Any]:
    return {"title": title, "assign_to_role": "editor"}


def graph_of(definition: dict[str, Any]):
    report = validate_definition(definition)
    assert report.ok, [str(issue) for issue in report.errors]
    return report.graph


def run_definition(tenant, definition: dict[str, Any], *, retry_count: int = 0, payload=None):
    """Compile and run a definition on the session's Dagster instance; returns
    (execution, job result). The execution is finished as the run-status sensor would."""
    return run_graph(tenant, graph_of(definition), retry_count=retry_count, payload=payload)


def run_graph(tenant, graph, *, retry_count: int = 0, payload=None):
    """`run_definition` for a validated graph."""
    target = JobTarget(
        job_name="acme__error_handling",
        tenant=TenantRef(id=tenant.id, slug=tenant.slug),
        workflow_name="Error handling",
        retry_count=retry_count,
    )
    payload = {} if payload is None else payload
    execution = execution_create(tenant=tenant, source="test", trigger_data=payload)
    result = compile_job(graph, target).execute_in_process(
        run_config=trigger_run_config(graph, payload),
        instance=get_instance(),
        resources=default_resources(),
        tags={"crm/execution_id": str(execution.id)},
        raise_on_error=False,
    )
    execution_finish(
        execution_id=str(execution.id),
        status="success" if result.success else "failed",
        node_ids={n.id: (n.node_type.name, n.label) for n in graph.nodes.values()},
    )
    return WorkflowExecution.objects.get(pk=execution.pk), result


def logs_of(execution, node_id: str) -> list:
    return list(execution.logs.filter(node_id=node_id).order_by("attempt"))


def statuses(execution) -> dict[str, str]:
    """Each node's final status (its last attempt's)."""
    final: dict[str, str] = {}
    for log in execution.logs.order_by("attempt"):
        final[log.node_id] = log.status
    return final
