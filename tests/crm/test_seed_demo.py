"""seed_demo: creates the demo tenants, role users, 1,000 deterministic acme deals and 50
globex deals, AI settings, webhook secrets and the demo workflows; a second run changes nothing;
a workflow file that fails validation is reported on stderr and skipped."""

import base64
import json
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from crm.records.models import Record, RecordEvent
from crm.tenants.models import Membership, Tenant, TenantAISettings, TenantSecret
from crm.tenants.selectors import ai_settings_api_key, secret_get
from crm.workflows.management.commands import seed_demo
from crm.workflows.models import Workflow, WorkflowVersion

from .test_publish_validation import UNKNOWN_TYPE, VALID


def snapshot() -> dict:
    users = get_user_model().objects
    return {
        "users": sorted(users.values_list("username", "password")),
        "memberships": sorted(
            Membership.objects.values_list("tenant__slug", "user__username", "role")
        ),
        "records": list(Record.objects.order_by("id").values_list("id", "data", "updated_at")),
        "events": RecordEvent.objects.count(),
        "secrets": sorted(TenantSecret.objects.values_list("name", "value_encrypted")),
        "ai": sorted(TenantAISettings.objects.values_list("tenant__slug", "api_key_encrypted")),
        "tenants": sorted(Tenant.objects.values_list("slug", "name", "http_allowed_hosts")),
        "versions": sorted(WorkflowVersion.objects.values_list("workflow__name", "number")),
    }


def seed() -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("seed_demo", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def no_demo_workflows(tmp_path, monkeypatch):
    monkeypatch.setattr(seed_demo, "DEMO_WORKFLOWS", tmp_path)
    return tmp_path


@pytest.mark.django_db
def test_seed_creates_the_demo_and_is_idempotent(no_demo_workflows):
    seed()
    first = snapshot()
    seed()
    assert snapshot() == first
    acme, globex = Tenant.objects.get(slug="acme"), Tenant.objects.get(slug="globex")
    assert (acme.name, globex.name) == ("Acme Inc.", "Globex Corp.")
    assert acme.http_allowed_hosts == ["127.0.0.1", "localhost"]
    assert Record.objects.filter(tenant=acme, pipeline__slug="deals").count() == 1000
    assert Record.objects.filter(tenant=globex, pipeline__slug="deals").count() == 50
    amounts = [r.data["amount"] for r in Record.objects.filter(tenant=acme)]
    assert min(amounts) >= 1000 and max(amounts) <= 200_000
    assert {r.data["stage"] for r in Record.objects.filter(tenant=acme)} == {
        "lead",
        "qualified",
        "proposal",
        "won",
        "lost",
    }
    assert ai_settings_api_key(tenant=acme) == "sk-demo-acme"
    assert acme.ai_settings.base_url == "http://127.0.0.1:8100/v1"
    secret = secret_get(tenant=globex, name="webhook-signing")
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 24
    assert secret != secret_get(tenant=acme, name="webhook-signing")


@pytest.mark.django_db
def test_role_users_can_log_in(no_demo_workflows, client):
    seed()
    assert Membership.objects.get(user__username="acme_editor").role == "editor"
    assert Membership.objects.get(user__username="globex_approver").tenant.slug == "globex"
    assert client.login(username="acme_editor", password="demo")
    assert client.login(username="admin", password="admin")
    assert get_user_model().objects.get(username="admin").is_superuser


@pytest.mark.django_db
def test_deals_are_deterministic():
    assert seed_demo.demo_deals("acme", 5, 7) == seed_demo.demo_deals("acme", 5, 7)
    assert seed_demo.webhook_secret("acme") == seed_demo.webhook_secret("acme")


@pytest.mark.django_db
def test_demo_workflows_published_once_and_invalid_ones_reported(no_demo_workflows):
    (no_demo_workflows / "hello.json").write_text(
        json.dumps({"tenant": "acme", "name": "Hello", "description": "d", "definition": VALID})
    )
    (no_demo_workflows / "broken.json").write_text(
        json.dumps({"tenant": "globex", "name": "Broken", "definition": UNKNOWN_TYPE})
    )
    _, err = seed()
    assert "broken.json" in err and "graph.E002" in err
    assert not Workflow.objects.filter(name="Broken").exists()
    hello = Workflow.objects.get(tenant__slug="acme", name="Hello")
    assert (hello.status, hello.current_version.number) == ("active", 1)
    seed()
    assert hello.versions.count() == 1
    changed = {**VALID, "viewport": {"x": 0, "y": 0, "zoom": 1}}
    (no_demo_workflows / "hello.json").write_text(
        json.dumps({"tenant": "acme", "name": "Hello", "definition": changed})
    )
    seed()
    assert hello.current_version.number == 2 and hello.current_version.definition == changed
