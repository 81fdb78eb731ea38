"""Webhook ingress: authenticated by the secret header or a Standard Webhooks signature (made
with the official `standardwebhooks` library), replay-safe, size-limited, JSON or form data,
refused with a reason for malformed bodies and paused/archived workflows; an accepted event is
stored before the 202 (which names it) and the webhook sensor turns it into a run."""

from __future__ import annotations

import json
import os
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from django.test import Client
from standardwebhooks import Webhook

from crm.triggers import errors as E
from crm.triggers.models import WebhookEvent
from crm.triggers.services import webhook_endpoint_create, webhook_endpoint_rotate
from crm.workflows.models import Task
from crm.workflows.services import workflow_set_status
from tests.servers import crm_server

from .conftest import executions_of, publish

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def hook(tenant):
    workflow = publish(tenant, "Inbound", {"trigger_type": "webhook"}, title="{{ trigger.body.x }}")
    endpoint, secret = webhook_endpoint_create(workflow=workflow)
    return workflow, endpoint, secret


def post(endpoint, body: bytes | str, *, content_type="application/json", **headers):
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    return Client().post(f"/hooks/{endpoint.key}", data=body, content_type=content_type, **extra)


def signed(secret: str, body: str, *, msg_id="msg_1", at: datetime | None = None) -> dict:
    at = at or datetime.now(tz=UTC)
    signature = Webhook(secret).sign(msg_id=msg_id, timestamp=at, data=body)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }


def test_secret_header_accepts_and_the_sensor_runs_the_workflow(hook, webhook_daemon):
    workflow, endpoint, secret = hook
    reply = post(endpoint, '{"x": "hello"}', **{"X-Webhook-Secret": secret, "X-Trace": "t1"})
    assert reply.status_code == 202
    event = WebhookEvent.objects.get(pk=reply.json()["event_id"])
    assert event.body == {"x": "hello"} and event.workflow_id == workflow.pk
    assert "x-webhook-secret" not in event.headers and event.headers["x-trace"] == "t1"
    [request] = webhook_daemon.tick().run_requests
    assert request.run_key == f"webhook:{event.pk}:{workflow.pk}"
    [execution] = executions_of(workflow)
    assert execution.status == "success" and execution.source == "webhook"
    assert execution.trigger_data["event_id"] == event.pk
    assert execution.trigger_data["body"] == {"x": "hello"}
    assert set(execution.trigger_data) == {"event_id", "headers", "body", "received_at"}
    assert Task.objects.get().title == "hello"


def test_standard_webhooks_signature_from_the_official_library(hook):
    _, endpoint, secret = hook
    body = json.dumps({"x": 1})
    reply = post(endpoint, body, **signed(secret, body))
    assert reply.status_code == 202 and reply.json()["status"] == "accepted"
    assert WebhookEvent.objects.get().message_id == "msg_1"


@pytest.mark.parametrize(
    "problem",
    ["no credentials", "wrong secret", "tampered body", "too old", "wrong key", "garbage"],
)
def test_authentication_failures_are_401_and_store_nothing(hook, problem):
    _, endpoint, secret = hook
    body = json.dumps({"x": 1})
    headers: dict = {}
    if problem == "wrong secret":
        headers = {"X-Webhook-Secret": secret + "x"}
    elif problem == "tampered body":
        headers = signed(secret, body)
        body = json.dumps({"x": 2})
    elif problem == "too old":
        headers = signed(secret, body, at=datetime.now(tz=UTC) - timedelta(minutes=6))
    elif problem == "wrong key":
        other = Webhook("whsec_" + "A" * 43)
        headers = signed(secret, body)
        headers["webhook-signature"] = other.sign("msg_1", datetime.now(tz=UTC), body)
    elif problem == "garbage":
        headers = {**signed(secret, body), "webhook-signature": "v1,%%%"}
    reply = post(endpoint, body, **headers)
    assert reply.status_code == 401 and reply.json()["code"] == E.UNAUTHENTICATED
    assert WebhookEvent.objects.count() == 0


def test_a_replayed_message_is_not_stored_twice(hook, webhook_daemon):
    workflow, endpoint, secret = hook
    body = json.dumps({"x": "once"})
    headers = signed(secret, body, msg_id="msg_replay")
    first = post(endpoint, body, **headers)
    again = post(endpoint, body, **headers)
    assert first.status_code == again.status_code == 202
    assert again.json() == {"event_id": first.json()["event_id"], "status": "duplicate"}
    assert WebhookEvent.objects.count() == 1
    webhook_daemon.tick()
    assert len(executions_of(workflow)) == 1


def test_rotating_the_secret_stops_the_old_one(hook):
    _, endpoint, secret = hook
    endpoint, new_secret = webhook_endpoint_rotate(endpoint=endpoint)
    assert post(endpoint, "{}", **{"X-Webhook-Secret": secret}).status_code == 401
    assert post(endpoint, "{}", **{"X-Webhook-Secret": new_secret}).status_code == 202


def test_size_limit_is_413(hook):
    _, endpoint, secret = hook
    body = json.dumps({"x": "a" * (1024 * 1024)})
    reply = post(endpoint, body, **{"X-Webhook-Secret": secret})
    assert reply.status_code == 413 and reply.json()["code"] == E.TOO_LARGE
    just_under = json.dumps({"x": "a" * (1024 * 1024 - 20)})
    assert post(endpoint, just_under, **{"X-Webhook-Secret": secret}).status_code == 202


def test_malformed_json_is_400_with_a_reason(hook):
    _, endpoint, secret = hook
    reply = post(endpoint, '{"x": ', **{"X-Webhook-Secret": secret})
    assert reply.status_code == 400 and reply.json()["code"] == E.MALFORMED
    assert "not valid JSON" in reply.json()["detail"] and "line 1" in reply.json()["detail"]
    assert WebhookEvent.objects.count() == 0


def test_form_data_is_accepted(hook):
    _, endpoint, secret = hook
    form = post(
        endpoint,
        "x=1&tag=a&tag=b",
        content_type="application/x-www-form-urlencoded",
        **{"X-Webhook-Secret": secret},
    )
    assert form.status_code == 202
    assert WebhookEvent.objects.get(pk=form.json()["event_id"]).body == {
        "x": "1",
        "tag": ["a", "b"],
    }
    multipart = Client().post(
        f"/hooks/{endpoint.key}", data={"x": "2"}, HTTP_X_WEBHOOK_SECRET=secret
    )
    assert multipart.status_code == 202
    assert WebhookEvent.objects.get(pk=multipart.json()["event_id"]).body == {"x": "2"}


def test_unsupported_media_type_is_415(hook):
    _, endpoint, secret = hook
    reply = post(endpoint, "<x/>", content_type="application/xml", **{"X-Webhook-Secret": secret})
    assert reply.status_code == 415 and reply.json()["code"] == E.UNSUPPORTED_MEDIA


def test_paused_archived_and_unknown(hook):
    workflow, endpoint, secret = hook
    assert (
        Client().post("/hooks/nope", data="{}", content_type="application/json").status_code == 404
    )
    workflow_set_status(workflow=workflow, status="paused")
    reply = post(endpoint, "{}", **{"X-Webhook-Secret": secret})
    assert reply.status_code == 409 and reply.json()["code"] == E.PAUSED
    assert "paused" in reply.json()["detail"]
    workflow_set_status(workflow=workflow, status="archived")
    reply = post(endpoint, "{}", **{"X-Webhook-Secret": secret})
    assert reply.status_code == 404 and reply.json()["code"] == E.ARCHIVED
    assert WebhookEvent.objects.count() == 0


def test_only_get_is_refused(hook):
    _, endpoint, _ = hook
    assert Client().get(f"/hooks/{endpoint.key}").status_code == 405


@pytest.fixture
def server(settings):
    """The CRM as a real server process on the test database: bin/crm-server, the server of
    the embedded default."""
    with crm_server() as (process, _port, base):
        yield process, base


def test_the_event_is_stored_before_the_202_even_if_the_server_dies_right_after(
    hook, server, webhook_daemon
):
    workflow, endpoint, secret = hook
    process, base = server
    reply = httpx.post(
        f"{base}/hooks/{endpoint.key}",
        content=b'{"x": "durable"}',
        headers={"Content-Type": "application/json", "X-Webhook-Secret": secret},
    )
    assert reply.status_code == 202
    os.kill(process.pid, signal.SIGKILL)  # no graceful shutdown, no flush
    process.wait()
    event = WebhookEvent.objects.get(pk=reply.json()["event_id"])
    assert event.body == {"x": "durable"}
    webhook_daemon.tick()
    assert [e.trigger_data["body"] for e in executions_of(workflow)] == [{"x": "durable"}]


def test_a_webhook_works_as_soon_as_its_workflow_is_published(tenant, server, webhook_daemon):
    _, base = server
    workflow = publish(
        tenant, "Brand new", {"trigger_type": "webhook"}, title="{{ trigger.body.x }}"
    )
    _, secret = webhook_endpoint_create(workflow=workflow)
    reply = httpx.post(
        f"{base}/hooks/{workflow.webhook.key}",
        json={"x": "first"},
        headers={"X-Webhook-Secret": secret},
    )
    assert reply.status_code == 202
    webhook_daemon.tick()
    assert Task.objects.get().title == "first"


def test_pausing_archiving_and_rotating_apply_to_the_next_request_of_a_running_server(hook, server):
    """The server process reads the webhook's state on each request (its database connections
    persist; nothing about the workflow is cached), so changes made elsewhere apply at once."""
    workflow, endpoint, secret = hook
    _, base = server

    def call(key: str, secret: str) -> httpx.Response:
        return httpx.post(
            f"{base}/hooks/{key}", json={"x": 1}, headers={"X-Webhook-Secret": secret}, timeout=60
        )

    assert call(endpoint.key, secret).status_code == 202
    workflow_set_status(workflow=workflow, status="paused")
    assert call(endpoint.key, secret).json()["code"] == E.PAUSED
    workflow_set_status(workflow=workflow, status="active")
    assert call(endpoint.key, secret).status_code == 202
    old_key = endpoint.key
    endpoint, new_secret = webhook_endpoint_rotate(endpoint=endpoint, new_url=True)
    assert call(old_key, new_secret).json()["code"] == E.UNKNOWN_WEBHOOK
    assert call(endpoint.key, secret).status_code == 401
    assert call(endpoint.key, new_secret).status_code == 202
    workflow_set_status(workflow=workflow, status="archived")
    assert call(endpoint.key, new_secret).json()["code"] == E.ARCHIVED
    assert WebhookEvent.objects.filter(workflow_id=workflow.pk).count() == 3
