"""API fixtures: token clients per role and tenant, a published workflow, an execution."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client

from crm.api.tokens import api_token_create
from crm.records.services import record_create
from crm.workflows.services import (
    execution_create,
    execution_finish,
    node_log_finish,
    node_log_start,
    workflow_create,
    workflow_publish,
)

VALID = {
    "nodes": [
        {
            "id": "start",
            "type": "trigger",
            "position": {"x": 0, "y": 0},
            "data": {"label": "Start", "config": {"sample_payload": {"who": "sample"}}},
        },
        {
            "id": "note",
            "type": "task_notify",
            "position": {"x": 200, "y": 0},
            "data": {
                "label": "Note",
                "config": {"title": "hi {{ trigger.who }}", "assign_to_role": "editor"},
            },
        },
    ],
    "edges": [{"id": "start-note", "source": "start", "target": "note"}],
}
# An edge to a node that does not exist, and a node of an unknown type.
INVALID = {
    "nodes": [
        {"id": "start", "type": "trigger", "data": {}},
        {"id": "mystery", "type": "no_such_type", "data": {}},
    ],
    "edges": [
        {"id": "e-start-mystery", "source": "start", "target": "mystery"},
        {"id": "e-ghost", "source": "start", "target": "ghost"},
    ],
}


class ApiClient(Client):
    """A test client that sends JSON bodies and an optional bearer token."""

    def __init__(self, key: str | None = None, **defaults: Any) -> None:
        if key:
            defaults["HTTP_AUTHORIZATION"] = f"Bearer {key}"
        super().__init__(**defaults)

    def call(self, method: str, path: str, body: Any = None, **extra: Any):
        """A request with `body` as JSON (an empty body when None)."""
        if method in ("get", "delete"):
            return getattr(self, method)(path, **extra)
        data = "" if body is None else json.dumps(body)
        return getattr(self, method)(path, data=data, content_type="application/json", **extra)


class GraphQLRecorder(BaseHTTPRequestHandler):
    """A stand-in Dagster webserver: records GraphQL requests and answers like Dagster."""

    requests: list[dict[str, Any]] = []

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(body)
        reply = json.dumps(
            {"data": {"reloadRepositoryLocation": {"__typename": "WorkspaceLocationEntry"}}}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


class Reloads:
    """Reload requests the Dagster webserver received (they are sent in the background)."""

    def __init__(self, requests: list[dict[str, Any]]):
        self.requests = requests

    def count(self, expected: int, timeout_s: float = 5.0) -> int:
        """The number of requests once `expected` arrived (or the timeout passed), plus grace."""
        deadline = time.monotonic() + timeout_s
        while len(self.requests) < expected and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)
        return len(self.requests)


@pytest.fixture(autouse=True)
def reloads(settings) -> Reloads:
    """Point DAGSTER_WEBSERVER_URL at a real local HTTP server that records reload requests."""
    GraphQLRecorder.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), GraphQLRecorder)
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    settings.DAGSTER_WEBSERVER_URL = f"http://127.0.0.1:{server.server_address[1]}"
    yield Reloads(GraphQLRecorder.requests)
    server.shutdown()


@pytest.fixture
def client_for(make_user):
    """client_for(tenant, role) -> an ApiClient with a token of a new member in that role."""

    def _make(tenant, role: str, username: str | None = None) -> ApiClient:
        user = make_user(tenant, role, username=username)
        _, key = api_token_create(user=user, tenant=tenant, name="tests")
        client = ApiClient(key)
        client.user = user
        return client

    return _make


@pytest.fixture
def workflow(tenant):
    """A published (active) workflow of tenant acme with one version."""
    wf = workflow_create(tenant=tenant, name="Greeter", definition=VALID)
    workflow_publish(workflow=wf)
    return wf


@pytest.fixture
def record(tenant, deals):
    return record_create(tenant=tenant, pipeline=deals, data={"title": "Big", "amount": 9000})


def make_execution(workflow, *, status="failed", source="manual", stack="Traceback: boom"):
    """A finished execution of the workflow's current version with two node logs."""
    execution = execution_create(
        tenant=workflow.tenant,
        workflow=workflow,
        version=workflow.current_version,
        source=source,
        trigger_data={"who": "Ada"},
        dagster_run_id="run-123",
    )
    ok = node_log_start(
        execution_id=execution.pk,
        node_id="start",
        node_type="trigger",
        node_name="Start",
        attempt=1,
        input_data={},
    )
    node_log_finish(log_id=ok.pk, status="success", output_data={"who": "Ada"}, output_handle="out")
    bad = node_log_start(
        execution_id=execution.pk,
        node_id="note",
        node_type="task_notify",
        node_name="Note",
        attempt=2,
        input_data={"who": "Ada"},
    )
    node_log_finish(
        log_id=bad.pk,
        status="failed" if status == "failed" else "success",
        error_details={"message": "boom", "error_type": "RuntimeError", "stack": stack},
    )
    return execution_finish(execution_id=execution.pk, status=status, error_message="boom")


@pytest.fixture
def execution(workflow):
    return make_execution(workflow)
