"""Secrets never leak: a full demo run, then every place a secret could land is scanned.

Contract: after seed_demo, with each tenant's AI key and webhook-signing secret replaced by
fresh random values (the AI key is the one the local model server demands), every demo workflow
run through `run_now(wait=True)`, a workflow signing an outgoing webhook with the tenant secret,
and a webhook-triggered run authenticated with its endpoint secret (header and Standard Webhooks
signature), none of those plaintexts (nor the key material inside a `whsec_` secret) appears in:
the Dagster instance (every run's tags, run config, event log records, job and execution-plan
snapshots, and every file under $DAGSTER_HOME), the CRM's executions, per-node logs, tasks,
records, AI usage and stored webhook events, the CRM database file itself (secrets are
encrypted at rest), the Python log records emitted meanwhile, or any API response (workflows,
versions, executions with stack traces, webhook) other than the one that created a webhook
secret. The demo's AI workflow must have called the model (so the key was really used).
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from standardwebhooks import Webhook

from automation.instance import get_instance
from automation.launcher import run_now
from automation.model_server.runner import start_in_thread
from crm.tenants.models import Tenant
from crm.tenants.selectors import ai_settings_api_key, secret_get
from crm.tenants.services import ai_settings_set, secret_set
from crm.workflows.models import Workflow
from crm.workflows.services import workflow_create, workflow_publish
from tests.api.conftest import ApiClient
from tests.triggers.conftest import webhook_daemon  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db(transaction=True)


def new_whsec() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class Receiver(BaseHTTPRequestHandler):
    """Verifies signed webhooks with the official library (the secret set on the class)."""

    secret = ""
    verified: list[Any] = []

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).verified.append(Webhook(type(self).secret).verify(body, dict(self.headers)))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()


def serialized(value: Any) -> str:
    from dagster._serdes import serialize_value

    try:
        return serialize_value(value)
    except Exception:  # noqa: BLE001 - not a serdes object: its repr is what we scan
        return repr(value)


def dagster_text() -> str:
    """Everything the Dagster instance holds about every run, as text."""
    instance = get_instance()
    parts = []
    for run in instance.get_runs():
        parts += [json.dumps(run.tags), json.dumps(run.run_config, default=str)]
        parts += [serialized(entry) for entry in instance.all_logs(run.run_id)]
        if run.job_snapshot_id:
            parts.append(serialized(instance.get_job_snapshot(run.job_snapshot_id)))
        if run.execution_plan_snapshot_id:
            parts.append(
                serialized(instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id))
            )
    return "\n".join(parts)


def files_under(folder: Path) -> bytes:
    return b"\n".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


def crm_rows() -> str:
    """Every row of the CRM's execution, log, task, record, usage and webhook-event tables."""
    from django.apps import apps

    labels = [
        "workflows.WorkflowExecution", "workflows.WorkflowExecutionLog", "workflows.Task",
        "workflows.WorkflowVersion", "records.Record", "records.RecordEvent", "ai.AIUsage",
        "triggers.WebhookEvent", "triggers.TriggerDelivery",
    ]  # fmt: skip
    parts = []
    for label in labels:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        parts += [json.dumps(row, default=str) for row in model.objects.values()]
    return "\n".join(parts)


@pytest.fixture
def demo(caplog):
    """The seeded demo with fresh secrets, the model server demanding acme's key."""
    caplog.set_level(logging.DEBUG)
    call_command("seed_demo", stdout=StringIO(), stderr=StringIO())
    keys = {slug: f"sk-scan-{slug}-{secrets.token_hex(16)}" for slug in ("acme", "globex")}
    server = start_in_thread(api_key=keys["acme"])
    for tenant in Tenant.objects.all():
        ai_settings_set(
            tenant=tenant, api_key=keys[tenant.slug], base_url=server.base_url, model="local-echo"
        )
        secret_set(tenant=tenant, name="webhook-signing", value=new_whsec())
    yield keys
    server.stop()


def secret_values() -> list[str]:
    """The plaintexts (and whsec key material) of every tenant's AI key and signing secret."""
    values = []
    for tenant in Tenant.objects.all():
        values.append(ai_settings_api_key(tenant=tenant))
        signing = secret_get(tenant=tenant, name="webhook-signing")
        values += [signing, signing.removeprefix("whsec_")]
    return values


def test_no_secret_appears_anywhere_after_a_full_demo_run(demo, caplog, webhook_daemon):  # noqa: F811
    acme = Tenant.objects.get(slug="acme")
    # A workflow that signs an outgoing webhook with the tenant secret, to a verifying receiver.
    Receiver.secret, Receiver.verified = secret_get(tenant=acme, name="webhook-signing"), []
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, args=(0.05,), daemon=True).start()
    ping = workflow_create(tenant=acme, name="Signed ping", definition={
        "nodes": [
            {"id": "start", "type": "trigger", "data": {"config": {"sample_payload": {"d": 1}}}},
            {"id": "ping", "type": "webhook_out", "data": {"config": {
                "url": f"http://127.0.0.1:{receiver.server_address[1]}/hook",
                "secret_name": "webhook-signing", "payload": {"deal": "{{ trigger.d }}"},
            }}},
        ],
        "edges": [{"id": "e", "source": "start", "target": "ping"}],
    })  # fmt: skip
    workflow_publish(workflow=ping)

    # A webhook-triggered workflow: its endpoint secret is shown once, then used to call it.
    admin = ApiClient(_token(acme, "acme_admin"))
    inbound = workflow_create(tenant=acme, name="Inbound scan", definition={
        "nodes": [
            {"id": "start", "type": "trigger", "data": {"config": {"trigger_type": "webhook"}}},
            {"id": "note", "type": "task_notify", "data": {"config": {
                "title": "got {{ trigger.body.x }}", "assign_to_role": "editor"}}},
        ],
        "edges": [{"id": "e", "source": "start", "target": "note"}],
    })  # fmt: skip
    workflow_publish(workflow=inbound)
    created = admin.call("post", f"/api/workflows/{inbound.pk}/webhook").json()
    hook_secret, hook_url = created["secret"], created["url"]
    key = hook_url.rsplit("/", 1)[1]
    body = json.dumps({"x": "{{ ''.__class__ }}"})
    headers = Webhook(hook_secret).sign("msg_scan", _now(), body)
    signed = {
        "HTTP_WEBHOOK_ID": "msg_scan",
        "HTTP_WEBHOOK_TIMESTAMP": str(int(_now().timestamp())),
        "HTTP_WEBHOOK_SIGNATURE": headers,
    }
    assert (
        ApiClient()
        .post(f"/hooks/{key}", data=body, content_type="application/json", **signed)
        .status_code
        == 202
    )
    assert (
        ApiClient()
        .post(
            f"/hooks/{key}",
            data=json.dumps({"x": 2}),
            content_type="application/json",
            HTTP_X_WEBHOOK_SECRET=hook_secret,
            HTTP_AUTHORIZATION=f"Bearer {hook_secret}",
        )
        .status_code
        == 202
    )
    webhook_daemon.tick()
    assert len(webhook_daemon.run_ids) >= 1  # the webhook events ran the workflow

    executions = [
        run_now(workflow=workflow, wait=True, timeout_s=120)
        for workflow in Workflow.objects.exclude(name="Inbound scan").order_by("name")
    ]
    receiver.shutdown()
    assert len(executions) >= 6
    by_name = {e.workflow.name: e for e in executions}
    assert by_name["Signed ping"].status == "success", by_name["Signed ping"].error_message
    assert Receiver.verified and Receiver.verified[0]["data"] == {"deal": 1}
    triage = by_name["Triage top lead with AI"]
    assert triage.status == "success", triage.error_message  # the model answered: key used

    operator = ApiClient(_token(acme, "acme_operator"))
    api_text = "\n".join(
        client.get(path).content.decode()
        for client in (admin, operator)
        for path in _api_paths(executions, inbound)
    )
    values = secret_values() + [hook_secret, hook_secret.removeprefix("whsec_")]
    places = {
        "dagster records": dagster_text(),
        "dagster home": files_under(Path(get_instance().root_directory)).decode("latin-1"),
        "crm rows": crm_rows(),
        **(
            {"crm database": _database_bytes().decode("latin-1")}
            if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
            else {}  # on PostgreSQL there is no file; its tables are scanned above
        ),
        "log records": "\n".join(
            f"{r.getMessage()} {r.args!r} {getattr(r, 'exc_text', '')}" for r in caplog.records
        ),
        "api responses": api_text,
    }
    for place, text in places.items():
        assert len(text) > 0, place
        for value in values:
            assert value not in text, f"a secret ({value[:8]}…) appears in the {place}"
    # The scan sees payloads: the webhook body's template text, stored and run, not evaluated.
    assert "got {{ ''.__class__ }}" in places["crm rows"]
    assert "{{ ''.__class__ }}" in places["dagster records"]


def _now():
    from datetime import UTC, datetime

    return datetime.now(tz=UTC)


def _token(tenant, username: str) -> str:
    from django.contrib.auth import get_user_model

    from crm.api.tokens import api_token_create

    user = get_user_model().objects.get(username=username)
    return api_token_create(user=user, tenant=tenant, name="scan")[1]


def _api_paths(executions, inbound) -> list[str]:
    paths = ["/api/me", "/api/workflows", "/api/executions?limit=500", "/api/catalogue"]
    for execution in executions:
        if execution.workflow.tenant.slug != "acme":
            continue
        paths += [
            f"/api/executions/{execution.pk}",
            f"/api/workflows/{execution.workflow_id}",
            f"/api/workflows/{execution.workflow_id}/versions",
            f"/api/workflows/{execution.workflow_id}/versions/1",
        ]
    paths.append(f"/api/workflows/{inbound.pk}/webhook")
    return paths


def _database_bytes() -> bytes:
    name = Path(settings.DATABASES["default"]["NAME"])
    return b"".join(path.read_bytes() for path in (name, Path(f"{name}-wal")) if path.exists())
