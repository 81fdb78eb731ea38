"""Trigger API: a webhook's URL and secret (the secret only in the reply that made it), its
rotation, the next schedule times, and the events deferred by the rate limit."""

from __future__ import annotations

import pytest

from crm.api.tokens import api_token_create
from crm.records.services import record_create
from tests.api.conftest import ApiClient

from .conftest import publish

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def client_for(make_user):
    def _make(tenant, role: str) -> ApiClient:
        _, key = api_token_create(user=make_user(tenant, role), tenant=tenant, name="tests")
        return ApiClient(key)

    return _make


@pytest.fixture
def editor(tenant, client_for):
    return client_for(tenant, "editor")


def test_webhook_secret_is_shown_once_and_rotates(tenant, editor, client_for):
    workflow = publish(tenant, "Hooked", {"trigger_type": "webhook"})
    path = f"/api/workflows/{workflow.pk}/webhook"
    assert editor.call("get", path).status_code == 404
    created = editor.call("post", path)
    assert created.status_code == 201
    body = created.json()
    assert body["secret"].startswith("whsec_") and "/hooks/" in body["url"]
    assert editor.call("post", path).status_code == 409
    shown = editor.call("get", path).json()
    assert shown["secret"] is None and shown["url"] == body["url"]
    hook = body["url"].split("/hooks/")[1]
    old = ApiClient().post(
        f"/hooks/{hook}",
        data="{}",
        content_type="application/json",
        HTTP_X_WEBHOOK_SECRET=body["secret"],
    )
    assert old.status_code == 202
    rotated = editor.call("post", f"{path}/rotate", {"new_url": True}).json()
    assert rotated["secret"] != body["secret"] and rotated["url"] != body["url"]
    gone = ApiClient().post(
        f"/hooks/{hook}",
        data="{}",
        content_type="application/json",
        HTTP_X_WEBHOOK_SECRET=rotated["secret"],
    )
    assert gone.status_code == 404
    viewer = client_for(tenant, "viewer")
    assert viewer.call("post", f"{path}/rotate", {}).status_code == 403
    assert viewer.call("get", path).json()["secret"] is None


def test_next_schedule_times(tenant, editor):
    scheduled = publish(
        tenant, "Hourly", {"trigger_type": "schedule", "cron": "0 * * * *", "timezone": "UTC"}
    )
    reply = editor.call("get", f"/api/workflows/{scheduled.pk}/schedule?count=3").json()
    assert reply["cron"] == "0 * * * *" and len(reply["next_runs"]) == 3
    assert all(t.endswith(":00:00+00:00") for t in reply["next_runs"])
    manual = publish(tenant, "Manual", {})
    assert editor.call("get", f"/api/workflows/{manual.pk}/schedule").status_code == 409


def test_deferred_events_are_visible(tenant, deals, editor, record_daemon):
    workflow = publish(
        tenant, "Limited", {"trigger_type": "record_created"}, max_executions_per_hour=1
    )
    for number in range(3):
        record_create(tenant=tenant, pipeline=deals, data={"n": number})
    record_daemon.evaluate()  # plans one run, defers two
    page = editor.call("get", f"/api/workflows/{workflow.pk}/trigger/events").json()
    assert page["count"] == 2
    assert {item["status"] for item in page["items"]} == {"deferred"}
    assert page["items"][0]["reason"].startswith("rate limit")
