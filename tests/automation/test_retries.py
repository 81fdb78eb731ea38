"""A transient node failure is retried by Dagster's retry policy; attempts are logged."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from dagster import DagsterInstance

from automation.graph_factory.compile import compile_job
from automation.graph_factory.target import JobTarget
from automation.nodes.base import TenantRef
from automation.resources import default_resources
from crm.workflows.services import execution_create

from .conftest import edge, graph_of, node

pytestmark = pytest.mark.django_db(transaction=True)


class _Flaky(BaseHTTPRequestHandler):
    calls = 0

    def do_GET(self):  # noqa: N802
        type(self).calls += 1
        status = 503 if type(self).calls == 1 else 200
        body = json.dumps({"call": type(self).calls}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def flaky_server():
    _Flaky.calls = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def test_503_then_200_succeeds_on_the_second_attempt(tenant, flaky_server):
    tenant.http_allowed_hosts = ["127.0.0.1"]
    tenant.save()
    graph = graph_of(
        {
            "nodes": [node("t", "trigger"), node("call", "http_request", {"url": flaky_server})],
            "edges": [edge("t", "call")],
        }
    )
    target = JobTarget(
        job_name="acme__flaky",
        tenant=TenantRef(id=tenant.id, slug=tenant.slug),
        workflow_name="Flaky",
        retry_count=2,
    )
    execution = execution_create(tenant=tenant, source="test", trigger_data={})
    with DagsterInstance.ephemeral() as instance:
        result = compile_job(graph, target).execute_in_process(
            instance=instance,
            resources=default_resources(),
            tags={"crm/execution_id": str(execution.id)},
            raise_on_error=False,
        )
        retries = [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert result.success
    assert len(retries) == 1
    logs = list(execution.logs.filter(node_id="call").order_by("attempt"))
    assert [(log.attempt, log.status) for log in logs] == [(1, "failed"), (2, "success")]
    assert logs[0].error_details["transient"] is True
    assert logs[1].output_data["body"] == {"call": 2}
