"""Webhook ingress under fuzzed headers and bodies: refused requests store nothing.

Contract: POST /hooks/<key> with random headers (garbage, wrong or foreign signatures, stale or
future timestamps, wrong secrets, huge values) and random bodies and content types never answers
5xx; a refused request (4xx) leaves no event; an accepted one (202) leaves exactly one, or none
when it replays a message id already stored (then it says "duplicate"). Signed requests are
accepted only with a fresh timestamp over the exact body; bodies over 1 MiB are 413. The body
is stored verbatim: template text in it is never evaluated.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from standardwebhooks import Webhook

from crm.triggers.ingress import MAX_BODY_BYTES
from crm.triggers.models import WebhookEvent
from crm.triggers.services import webhook_endpoint_create, webhook_endpoint_rotate
from tests.triggers.conftest import publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def hook(tenant):
    workflow = publish(tenant, "Inbound", {"trigger_type": "webhook"}, title="{{ trigger.body }}")
    endpoint, secret = webhook_endpoint_create(workflow=workflow)
    return endpoint, secret


def post(endpoint, body: bytes, content_type: str = "application/json", **headers: str):
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    return Client().post(f"/hooks/{endpoint.key}", data=body, content_type=content_type, **extra)


def signature(secret: str, body: bytes, msg_id: str, at: datetime) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, at, body.decode()),
    }


def events() -> int:
    return WebhookEvent.objects.count()


header_names = st.sampled_from(
    ["webhook-id", "webhook-timestamp", "webhook-signature", "x-webhook-secret", "authorization",
     "content-encoding", "transfer-encoding", "x-forwarded-for", "x-custom"]
)  # fmt: skip
header_values = st.text(
    st.characters(min_codepoint=32, max_codepoint=126), max_size=200
) | st.sampled_from(["v1,", "v1,AAAA", "v1a,xxx", "0", "-1", "99999999999999999999", "x" * 8000])
bodies = st.binary(max_size=300) | st.sampled_from(
    [b"{}", b"[]", b'{"a": "{{ 7*7 }}"}', b"null", b"\xff\xfe", b"a=1&b=2", b"[" * 5000]
)
content_types = st.sampled_from(
    ["application/json", "text/plain", "application/x-www-form-urlencoded", "",
     "multipart/form-data; boundary=x", "application/vnd.api+json", "application/xml"]
)  # fmt: skip


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    headers=st.dictionaries(header_names, header_values, max_size=4),
    body=bodies,
    content_type=content_types,
    sign=st.sampled_from(["no", "right", "wrong_secret", "stale", "future", "other_body"]),
    with_secret_header=st.sampled_from(["no", "right", "wrong"]),
)
def test_fuzzed_requests_store_one_event_or_none(
    hook, headers, body, content_type, sign, with_secret_header
) -> None:
    endpoint, secret = hook
    now = datetime.now(tz=UTC)
    msg_id = f"msg_{abs(hash((body, sign))) % 10**12}"
    if sign != "no":
        key = secret if sign != "wrong_secret" else "whsec_" + "QUJD" * 8
        at = {"stale": now - timedelta(minutes=10), "future": now + timedelta(minutes=10)}.get(
            sign, now
        )
        signed_body = body + b" " if sign == "other_body" else body
        try:
            headers = {**headers, **signature(key, signed_body, msg_id, at)}
        except UnicodeDecodeError:
            return  # the official library signs text only
    if with_secret_header != "no":
        headers["x-webhook-secret"] = secret if with_secret_header == "right" else secret[::-1]
    replay = WebhookEvent.objects.filter(message_id=headers.get("webhook-id", "")).exists()
    before = events()
    response = post(endpoint, body, content_type, **headers)
    assert response.status_code < 500, response.content
    stored = events() - before
    if response.status_code == 202:
        assert stored == (0 if replay and headers.get("webhook-id") else 1), response.json()
        assert response.json()["status"] == ("duplicate" if stored == 0 else "accepted")
    else:
        assert 400 <= response.status_code < 500 and stored == 0, response.content
    if sign in ("wrong_secret", "stale", "future", "other_body"):
        assert response.status_code == 401  # a bad signature is not rescued by a secret header


def test_signed_request_rules(hook) -> None:
    endpoint, secret = hook
    now = datetime.now(tz=UTC)
    body = b'{"x": "{{ \'\'.__class__ }}"}'
    for at in (now - timedelta(minutes=10), now + timedelta(minutes=10)):
        assert post(endpoint, body, **signature(secret, body, "m1", at)).status_code == 401
    assert post(endpoint, body + b" ", **signature(secret, body, "m1", now)).status_code == 401
    assert events() == 0
    assert post(endpoint, body, **signature(secret, body, "m1", now)).json()["status"] == (
        "accepted"
    )
    again = post(endpoint, body, **signature(secret, body, "m1", now))
    assert again.status_code == 202 and again.json()["status"] == "duplicate"
    assert events() == 1
    assert WebhookEvent.objects.get().body == {"x": "{{ ''.__class__ }}"}  # stored verbatim
    _, new_secret = webhook_endpoint_rotate(endpoint=endpoint)
    assert post(endpoint, body, **signature(secret, body, "m2", now)).status_code == 401
    assert post(endpoint, body, **signature(new_secret, body, "m2", now)).status_code == 202
    assert events() == 2


def test_oversized_bodies_are_refused(hook) -> None:
    endpoint, secret = hook
    body = json.dumps({"pad": "x" * MAX_BODY_BYTES}).encode()
    response = post(endpoint, body, **{"x-webhook-secret": secret})
    assert response.status_code == 413 and events() == 0
