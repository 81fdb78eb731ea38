"""Fixtures for suspend/resume: a counting HTTP server, a controllable clock, a published
workflow with an approval between side effects, and API clients per role."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from crm.workflows.services import workflow_create, workflow_publish
from tests.automation.conftest import edge, node


class _Counter(BaseHTTPRequestHandler):
    calls = 0

    def do_GET(self):  # noqa: N802
        type(self).calls += 1
        body = json.dumps({"call": type(self).calls, "amount": 5000}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Counter:
    def __init__(self, url: str):
        self.url = url

    @property
    def calls(self) -> int:
        return _Counter.calls


@pytest.fixture
def http_counter(tenant):
    """A real local HTTP server counting the calls it gets (the tenant may reach it)."""
    _Counter.calls = 0
    tenant.http_allowed_hosts = ["127.0.0.1"]
    tenant.save()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    yield Counter(f"http://127.0.0.1:{server.server_address[1]}/quote")
    server.shutdown()


class Clock:
    """The process's wall clock, moved by hand (time-machine: every thread sees it; monotonic
    time, which timeouts use, is left alone)."""

    def __init__(self, traveller):
        self.traveller = traveller

    def now(self):
        return timezone.now()

    def advance(self, **delta: float) -> None:
        self.traveller.shift(timedelta(**delta))


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=True) as traveller:
        yield Clock(traveller)


def approval_definition(url: str, approval: dict[str, Any] | None = None) -> dict[str, Any]:
    """trigger -> HTTP call -> record write -> approval -> approved / rejected / expired."""
    config = {
        "title": "Approve the quote for {{ trigger.customer }}",
        "description": "Amount {{ nodes.call.body.amount }}",
        "assign_to_role": "approver",
        "data": "{{ nodes.call.body }}",
        **(approval or {}),
    }
    return {
        "nodes": [
            node("start", "trigger", {"sample_payload": {"customer": "Ada"}}),
            node("call", "http_request", {"url": url}),
            node("write", "record_create", {"pipeline": "deals", "data": {"title": "quote"}}),
            node("approve", "approval", config, label="Manager approval"),
            node("yes", "task_notify", {
                "title": "approved by {{ nodes.approve.decided_by }}: {{ nodes.approve.note }}",
                "assign_to_role": "editor",
            }),
            node("no", "task_notify", {"title": "rejected", "assign_to_role": "editor"}),
            node("late", "task_notify", {"title": "expired", "assign_to_role": "editor"}),
        ],
        "edges": [
            edge("start", "call"),
            edge("call", "write"),
            edge("write", "approve"),
            edge("approve", "yes", "approved"),
            edge("approve", "no", "rejected"),
            edge("approve", "late", "expired"),
        ],
    }  # fmt: skip


@pytest.fixture
def publish(tenant):
    def _publish(definition: dict[str, Any], name: str = "Quote approval"):
        workflow = workflow_create(tenant=tenant, name=name, definition=definition, retry_count=0)
        workflow_publish(workflow=workflow)
        return workflow

    return _publish


@pytest.fixture
def approval_workflow(publish, http_counter, deals):
    return publish(approval_definition(http_counter.url))


@pytest.fixture
def client_for(make_user):
    """client_for(tenant, role, username=None) -> an API client with a token of a new member."""
    from crm.api.tokens import api_token_create
    from tests.api.conftest import ApiClient

    def _make(tenant, role: str, username: str | None = None):
        user = make_user(tenant, role, username=username)
        _, key = api_token_create(user=user, tenant=tenant, name="tests")
        client = ApiClient(key)
        client.user = user
        return client

    return _make
