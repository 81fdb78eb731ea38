"""Shared fixtures: tenants, users with roles, pipelines, all in the real test database."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from crm.records.models import Pipeline
from crm.tenants.models import Membership, Role, Tenant


@pytest.fixture
def tenant(db) -> Tenant:
    return Tenant.objects.create(slug="acme", name="Acme Inc.")


@pytest.fixture
def other_tenant(db) -> Tenant:
    return Tenant.objects.create(slug="globex", name="Globex Corp.")


@pytest.fixture
def make_user(db):
    """Create a user with a role in a tenant: make_user(tenant, "editor")."""

    def _make(tenant: Tenant, role: str = Role.VIEWER, username: str | None = None):
        name = username or f"{tenant.slug}_{role}"
        user = get_user_model().objects.create_user(username=name, password="pw")
        Membership.objects.create(tenant=tenant, user=user, role=role)
        return user

    return _make


@pytest.fixture
def deals(tenant) -> Pipeline:
    return Pipeline.objects.create(tenant=tenant, slug="deals", name="Deals")


@pytest.fixture
def other_deals(other_tenant) -> Pipeline:
    return Pipeline.objects.create(tenant=other_tenant, slug="deals", name="Deals")


@pytest.fixture(scope="session", autouse=True)
def dagster_home(tmp_path_factory):
    """A real, persistent Dagster instance for the session ($DAGSTER_HOME), as run-now uses."""
    import os

    home = tmp_path_factory.mktemp("dagster_home")
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    previous = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home)
    yield home
    if previous is None:
        os.environ.pop("DAGSTER_HOME", None)
    else:
        os.environ["DAGSTER_HOME"] = previous


@pytest.fixture(autouse=True)
def fresh_definitions_load_context():
    """Dagster keeps the definitions load context (initialization or reconstruction) in a
    process-wide slot; a test that reconstructs a code location must not leak it to the next."""
    from dagster._core.definitions.definitions_load_context import DefinitionsLoadContext

    yield
    DefinitionsLoadContext._instance = None


@pytest.fixture(scope="session", autouse=True)
def close_sync_thread_connections(django_db_setup, django_db_blocker):
    """Close the CRM connection of asgiref's thread for sync code called from event loops
    (for-each bodies' record writes run there), which lives as long as the process: else the
    test database cannot be dropped at the end (PostgreSQL: "being accessed by other users")."""
    yield
    from asgiref.sync import SyncToAsync
    from django.db import connections

    with django_db_blocker.unblock():
        SyncToAsync.single_thread_executor.submit(connections.close_all).result()
