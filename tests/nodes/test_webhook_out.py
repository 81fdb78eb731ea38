"""The webhook_out node signs the Standard Webhooks way, checked by the official library.

Contract: a real receiver verifies the POSTed body and headers with
`standardwebhooks.Webhook(secret).verify`; a receiver with another secret rejects it and the
node fails (error_type "http_status"); the webhook id is stable for the same message within
an execution; a missing tenant secret is a "secret_not_found" error; the target passes the
same outbound guard as http_request.
"""

from __future__ import annotations

import base64
import json
import secrets
from http.server import BaseHTTPRequestHandler

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from automation.nodes.base import NodeError
from crm.tenants.services import secret_set

from .conftest import make_ctx, run_node

pytestmark = pytest.mark.django_db(transaction=True)  # the secret is read in a worker thread


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def receiver(secret: str) -> type[BaseHTTPRequestHandler]:
    """A webhook receiver that verifies with the official library (204, or 400 when invalid)."""

    class Receiver(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            try:
                payload = Webhook(secret).verify(body, dict(self.headers))
                status = 204
            except WebhookVerificationError as exc:
                payload, status = {"error": str(exc)}, 400
            self.server.hits.append({"payload": payload, "headers": dict(self.headers)})
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Receiver


@pytest.fixture
def signing_secret(tenant) -> str:
    value = new_secret()
    secret_set(tenant=tenant, name="hook-secret", value=value)
    tenant.http_allowed_hosts = ["127.0.0.1"]
    tenant.save()
    return value


def send(tenant, url: str, execution_id: str | None = None, **config):
    config = {"url": url, "secret_name": "hook-secret", **config}
    return run_node(make_ctx(tenant, "webhook_out", execution_id=execution_id), config)


def test_receiver_verifies_signature(tenant, signing_secret, serve) -> None:
    server = serve(receiver(signing_secret))
    result = send(tenant, server.url("/hook"), payload={"deal": 7}, event_type="deal.won")
    assert result.output["status_code"] == 204
    [hit] = server.hits
    assert hit["payload"]["type"] == "deal.won"
    assert hit["payload"]["data"] == {"deal": 7}
    assert hit["headers"]["webhook-id"] == result.output["webhook_id"]
    assert hit["headers"]["webhook-signature"].startswith("v1,")


def test_wrong_secret_fails_verification(tenant, signing_secret, serve) -> None:
    server = serve(receiver(new_secret()))
    with pytest.raises(NodeError) as failed:
        send(tenant, server.url("/hook"), payload={"deal": 7})
    assert failed.value.error_type == "http_status" and "400" in str(failed.value)
    assert server.hits[0]["payload"] == {"error": "No matching signature found"}


def test_webhook_id_is_stable_within_an_execution(tenant, signing_secret, serve) -> None:
    server = serve(receiver(signing_secret))
    first = send(tenant, server.url("/hook"), "exec-1", payload={"a": 1}).output["webhook_id"]
    again = send(tenant, server.url("/hook"), "exec-1", payload={"a": 1}).output["webhook_id"]
    other = send(tenant, server.url("/hook"), "exec-2", payload={"a": 1}).output["webhook_id"]
    assert first == again != other
    assert all(json.dumps(hit["payload"]) for hit in server.hits)


def test_missing_secret(tenant, serve) -> None:
    with pytest.raises(NodeError) as failed:
        send(tenant, "http://example.invalid/hook", secret_name="nope")
    assert failed.value.error_type == "secret_not_found"


def test_guarded_target(tenant, signing_secret, serve) -> None:
    tenant.http_allowed_hosts = []
    tenant.save()
    server = serve(receiver(signing_secret))
    with pytest.raises(NodeError) as failed:
        send(tenant, server.url("/hook"))
    assert failed.value.error_type == "blocked_target"
    assert server.hits == []
