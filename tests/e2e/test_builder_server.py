"""The builder's server side: /builder/ serves the built app under the CRM login (or says it
is not built), and GET /api/executions/{id}/events streams an execution's status and node logs
as server-sent events, scoped to the caller's tenant, ending when the execution finishes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from crm.api.routers.events import execution_event_stream
from crm.tenants.models import Membership, Role
from crm.workflows.services import (
    execution_create,
    execution_finish,
    node_log_finish,
    node_log_start,
    workflow_create,
    workflow_publish,
)

pytestmark = pytest.mark.django_db

DEFINITION = {
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
            "position": {"x": 0, "y": 100},
            "data": {"label": "Note", "config": {"title": "hi", "assign_to_role": "editor"}},
        },
    ],
    "edges": [{"id": "e1", "source": "start", "target": "note"}],
}


@pytest.fixture
def workflow(tenant):
    wf = workflow_create(tenant=tenant, name="Live", definition=DEFINITION)
    workflow_publish(workflow=wf)
    return wf


@pytest.fixture
def running(workflow):
    """A running execution whose trigger has finished."""
    execution = execution_create(
        tenant=workflow.tenant,
        workflow=workflow,
        version=workflow.current_version,
        source="api",
        trigger_data={"who": "Ada"},
    )
    log = node_log_start(
        execution_id=execution.pk,
        node_id="start",
        node_type="trigger",
        node_name="Start",
        attempt=1,
        input_data={},
    )
    node_log_finish(
        log_id=log.pk, status="success", output_data={"who": "Ada"}, output_handle="out"
    )
    execution_finish(execution_id=execution.pk, status="running")
    return execution


def login(make_user, tenant, role: str) -> Client:
    client = Client()
    client.force_login(make_user(tenant, role))
    return client


def messages(chunks: list[str]) -> list[dict[str, Any]]:
    return [json.loads(c[len("data: ") :]) for c in chunks if c.startswith("data: ")]


def read_stream(response) -> list[dict[str, Any]]:
    body = b"".join(response.streaming_content).decode()
    return [
        json.loads(part[len("data: ") :])
        for part in body.split("\n\n")
        if part.startswith("data: ")
    ]


# -- /builder/ ---------------------------------------------------------------------------------
def test_builder_needs_a_login():
    response = Client().get("/builder/workflows/123")
    assert response.status_code == 302
    assert response["Location"].startswith("/builder/login/?next=/builder/workflows/123")


def test_login_page_signs_in_a_tenant_user(make_user, tenant):
    make_user(tenant, Role.EDITOR, "eve")
    client = Client()
    assert client.get("/builder/login/").status_code == 200
    response = client.post("/builder/login/", {"username": "eve", "password": "pw"})
    assert response.status_code == 302 and response["Location"] == "/builder/"


def test_a_clear_page_when_the_app_is_not_built(settings, tmp_path, make_user, tenant):
    settings.BUILDER_DIST_DIR = tmp_path / "missing"
    response = login(make_user, tenant, Role.EDITOR).get("/builder/")
    assert response.status_code == 503
    assert b"not built" in response.content and b"npm run build" in response.content


@pytest.fixture
def dist(settings, tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(
        "<html><head><!--builder-boot--></head><body><div id=root></div></body></html>"
    )
    (tmp_path / "assets" / "app-1234.js").write_text("console.log('builder')")
    settings.BUILDER_DIST_DIR = tmp_path
    return tmp_path


def test_the_app_gets_the_callers_tenants_and_a_csrf_cookie(dist, make_user, tenant, other_tenant):
    client = login(make_user, tenant, Role.EDITOR)
    user = Membership.objects.get(tenant=tenant).user
    Membership.objects.create(tenant=other_tenant, user=user, role=Role.VIEWER)
    response = client.get("/builder/workflows/abc")  # every app route serves the app
    assert response.status_code == 200
    html = response.content.decode()
    boot = json.loads(html.split('type="application/json">')[1].split("</script>")[0])
    assert boot["user"] == user.username
    assert {(t["slug"], t["role"]) for t in boot["tenants"]} == {
        (tenant.slug, "editor"),
        (other_tenant.slug, "viewer"),
    }
    assert "csrftoken" in response.cookies


def test_boot_data_cannot_break_out_of_its_script_tag(dist, make_user, tenant):
    tenant.name = "</script><script>alert(1)</script>"
    tenant.save()
    html = login(make_user, tenant, Role.VIEWER).get("/builder/").content.decode()
    assert "</script><script>alert(1)" not in html


def test_assets_are_served_with_long_caching(dist, client):
    response = client.get("/builder/assets/app-1234.js")
    assert response.status_code == 200
    assert "immutable" in response["Cache-Control"]
    assert client.get("/builder/assets/nope.js").status_code == 404
    assert client.get("/builder/assets/../index.html").status_code == 404


# -- GET /api/executions/{id}/events -----------------------------------------------------------
def test_a_finished_execution_streams_a_snapshot_then_end(running, make_user, tenant):
    execution_finish(execution_id=running.pk, status="success")
    client = login(make_user, tenant, Role.VIEWER)
    response = client.get(f"/api/executions/{running.pk}/events")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    assert response["Cache-Control"] == "no-cache"
    found = read_stream(response)
    assert [m["type"] for m in found] == ["snapshot", "end"]
    snapshot = found[0]
    assert snapshot["execution"]["status"] == "success"
    assert snapshot["execution"]["dagster_run_url"] == ""
    assert [(log["node_id"], log["status"]) for log in snapshot["logs"]] == [("start", "success")]
    assert found[1] == {"type": "end", "status": "success"}


def test_changes_stream_as_they_happen(running):
    calls = {"n": 0}

    def advance(_seconds: float) -> None:
        # What the run does between two polls: the note runs, then the execution ends.
        calls["n"] += 1
        if calls["n"] == 1:
            log = node_log_start(
                execution_id=running.pk,
                node_id="note",
                node_type="task_notify",
                node_name="Note",
                attempt=1,
                input_data={"who": "Ada"},
            )
            advance.log_id = log.pk  # type: ignore[attr-defined]
        elif calls["n"] == 2:
            node_log_finish(log_id=advance.log_id, status="success", output_data={"id": 1})  # type: ignore[attr-defined]
            execution_finish(execution_id=running.pk, status="success")

    chunks = list(execution_event_stream(execution_id=running.pk, with_stack=False, sleep=advance))
    assert chunks[0].startswith("retry: ")
    found = messages(chunks)
    kinds = [(m["type"], (m.get("log") or {}).get("status")) for m in found]
    assert kinds == [
        ("snapshot", None),
        ("node", "running"),
        ("node", "success"),
        ("execution", None),
        ("end", None),
    ]
    assert found[2]["log"]["output"] == {"id": 1}
    assert found[3]["execution"]["status"] == "success"


def test_the_stream_gives_up_after_its_lifetime(running):
    ticks = iter(range(0, 10_000, 100))
    chunks = list(
        execution_event_stream(
            execution_id=running.pk,
            with_stack=False,
            max_s=250,
            clock=lambda: float(next(ticks)),
            sleep=lambda _s: None,
        )
    )
    assert [m["type"] for m in messages(chunks)] == ["snapshot"]  # no "end": the client reconnects


def test_the_tenant_may_come_from_the_query_string(running, make_user, tenant, other_tenant):
    execution_finish(execution_id=running.pk, status="failed", error_message="boom")
    client = login(make_user, tenant, Role.VIEWER)
    user = Membership.objects.get(tenant=tenant).user
    Membership.objects.create(tenant=other_tenant, user=user, role=Role.VIEWER)
    url = f"/api/executions/{running.pk}/events"
    assert client.get(url).status_code == 400  # two tenants: which one?
    response = client.get(f"{url}?tenant={tenant.slug}")
    assert response.status_code == 200
    assert read_stream(response)[-1] == {"type": "end", "status": "failed"}
    # In the other tenant the execution does not exist.
    assert client.get(f"{url}?tenant={other_tenant.slug}").status_code == 404


def test_events_need_a_member_and_stay_in_the_tenant(running, make_user, other_tenant):
    url = f"/api/executions/{running.pk}/events"
    assert Client().get(url).status_code == 401
    outsider = login(make_user, other_tenant, Role.ADMIN)
    assert outsider.get(url).status_code == 404
