"""Seed the demo: admin, tenants, role users, deals, AI settings, secrets and demo workflows.

Idempotent: a second run finds everything in place and writes nothing new.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from crm.records.models import Pipeline, Record
from crm.tenants.errors import AISettingsMissing, SecretNotFound
from crm.tenants.models import Role, Tenant
from crm.tenants.selectors import ai_settings_api_key, secret_get
from crm.tenants.services import ai_settings_set, membership_set, secret_set
from crm.workflows.errors import WorkflowValidationError
from crm.workflows.models import Workflow
from crm.workflows.services import workflow_create, workflow_publish, workflow_update_draft

# slug, name, number of deals, random seed, hosts the HTTP node may reach although private
TENANTS = [
    ("acme", "Acme Inc.", 1000, 7, ["127.0.0.1", "localhost"]),
    ("globex", "Globex Corp.", 50, 8, []),
]
STAGES = ["lead", "qualified", "proposal", "won", "lost"]
DEAL_FIELDS = [
    {"name": "name", "type": "text"},
    {"name": "company", "type": "text"},
    {"name": "amount", "type": "number"},
    {"name": "stage", "type": "select", "options": STAGES},
    {"name": "owner", "type": "text"},
    {"name": "email", "type": "email"},
]
COMPANIES = [
    "Initech",
    "Umbrella",
    "Hooli",
    "Stark",
    "Wayne",
    "Wonka",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Vandelay",
    "Pied Piper",
    "Massive Dynamic",
]
DEMO_WORKFLOWS = Path(settings.BASE_DIR) / "automation" / "demo_workflows"
AI_BASE_URL, AI_MODEL = "http://127.0.0.1:8100/v1", "local-echo"


def demo_deals(slug: str, count: int, seed: int) -> list[dict[str, Any]]:
    """`count` deterministic deals for a tenant."""
    rng = random.Random(seed)
    owners = [f"{slug}_{role}" for role in (Role.EDITOR, Role.OPERATOR, Role.ADMIN)]
    deals = []
    for number in range(1, count + 1):
        company = rng.choice(COMPANIES)
        deals.append(
            {
                "name": f"{company} deal {number}",
                "company": company,
                "amount": rng.randint(1_000, 200_000),
                "stage": rng.choice(STAGES),
                "owner": rng.choice(owners),
                "email": f"buyer{number}@{company.lower().replace(' ', '')}.example",
            }
        )
    return deals


def webhook_secret(slug: str) -> str:
    """A deterministic Standard Webhooks secret: "whsec_" + base64 of 24 bytes."""
    key = hashlib.sha256(f"demo-webhook-signing:{slug}".encode()).digest()[:24]
    return "whsec_" + base64.b64encode(key).decode()


class Command(BaseCommand):
    help = "Seed demo tenants, users, deals, AI settings, secrets and workflows (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        self._superuser()
        for slug, name, count, seed, hosts in TENANTS:
            self._tenant(slug, name, count, seed, hosts)
        self._workflows()

    def _superuser(self) -> None:
        users = get_user_model().objects
        if not users.filter(username="admin").exists():
            users.create_superuser(username="admin", email="admin@example.com", password="admin")
            self.stdout.write("created superuser admin/admin")

    @transaction.atomic
    def _tenant(self, slug: str, name: str, count: int, seed: int, hosts: list[str]) -> None:
        tenant, created = Tenant.objects.get_or_create(
            slug=slug, defaults={"name": name, "http_allowed_hosts": hosts}
        )
        if (tenant.name, tenant.http_allowed_hosts) != (name, hosts):
            tenant.name, tenant.http_allowed_hosts = name, hosts
            tenant.save(update_fields=["name", "http_allowed_hosts"])
        if created:
            self.stdout.write(f"created tenant {slug}")
        users = get_user_model().objects
        for role in Role.values:
            user = users.filter(username=f"{slug}_{role}").first()
            if user is None:
                user = users.create_user(username=f"{slug}_{role}", password="demo")
            membership_set(tenant=tenant, user=user, role=role)
        pipeline, _ = Pipeline.objects.get_or_create(
            tenant=tenant, slug="deals", defaults={"name": "Deals", "fields": DEAL_FIELDS}
        )
        if not pipeline.records.exists():
            # Seed data is bulk-inserted without outbox events: nothing should react to it.
            Record.objects.bulk_create(
                Record(tenant=tenant, pipeline=pipeline, data=data)
                for data in demo_deals(slug, count, seed)
            )
            self.stdout.write(f"{slug}: {count} deals")
        self._ai_settings(tenant)
        try:
            current = secret_get(tenant=tenant, name="webhook-signing")
        except SecretNotFound:
            current = None
        if current != webhook_secret(slug):
            secret_set(tenant=tenant, name="webhook-signing", value=webhook_secret(slug))

    def _ai_settings(self, tenant: Tenant) -> None:
        key = f"sk-demo-{tenant.slug}"
        try:
            ai = tenant.ai_settings
            unchanged = (ai.base_url, ai.model, ai_settings_api_key(tenant=tenant)) == (
                AI_BASE_URL,
                AI_MODEL,
                key,
            )
        except (Tenant.ai_settings.RelatedObjectDoesNotExist, AISettingsMissing):
            unchanged = False
        if not unchanged:
            ai_settings_set(tenant=tenant, api_key=key, base_url=AI_BASE_URL, model=AI_MODEL)

    def _workflows(self) -> None:
        for path in sorted(DEMO_WORKFLOWS.glob("*.json")):
            try:
                self._workflow(path, json.loads(path.read_text()))
            except WorkflowValidationError as exc:
                issues = "; ".join(json.dumps(issue) for issue in exc.errors)
                self.stderr.write(f"{path.name}: invalid, skipped: {issues}")
            except (ValueError, KeyError, TypeError, Tenant.DoesNotExist) as exc:
                self.stderr.write(f"{path.name}: skipped: {exc!r}")
            except ImportError as exc:  # the validator is not installed: nothing can publish
                self.stderr.write(f"demo workflows not published: {exc}")
                return

    @transaction.atomic
    def _workflow(self, path: Path, spec: dict[str, Any]) -> None:
        tenant = Tenant.objects.get(slug=spec["tenant"])
        definition = spec["definition"]
        workflow = Workflow.objects.filter(tenant=tenant, name=spec["name"]).first()
        if workflow is None:
            workflow = workflow_create(
                tenant=tenant,
                name=spec["name"],
                description=spec.get("description", ""),
                definition=definition,
                trigger_type=spec.get("trigger_type", "manual"),
                trigger_config=spec.get("trigger_config") or {},
            )
        else:
            latest = workflow.current_version
            if latest is not None and latest.definition == definition:
                return
            workflow_update_draft(workflow=workflow, definition=definition)
        version = workflow_publish(workflow=workflow)
        self.stdout.write(f"{path.name}: published {workflow} v{version.number}")
