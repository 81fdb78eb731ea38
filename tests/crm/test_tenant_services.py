"""Tenant services: secrets and the AI key are stored encrypted (the raw column never holds
the plaintext) and read back intact; roles and membership lookups stay within one tenant."""

import pytest
from django.db import connection

from crm.tenants.errors import AISettingsMissing, NotAMember, SecretNotFound
from crm.tenants.models import Tenant, TenantAISettings
from crm.tenants.selectors import (
    ai_settings_api_key,
    secret_get,
    tenant_get,
    user_in_tenant,
    user_role,
    users_with_role,
)
from crm.tenants.services import ai_settings_set, membership_set, secret_set


def raw_column(table: str, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table}")  # noqa: S608 (fixed names)
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_secret_is_encrypted_at_rest_and_round_trips(tenant):
    secret_set(tenant=tenant, name="webhook-signing", value="whsec_plaintext-value")
    stored = raw_column("tenants_tenantsecret", "value_encrypted")
    assert "whsec_plaintext-value" not in stored and "plaintext" not in stored
    assert secret_get(tenant=tenant, name="webhook-signing") == "whsec_plaintext-value"
    secret_set(tenant=tenant, name="webhook-signing", value="rotated")
    assert secret_get(tenant=tenant, name="webhook-signing") == "rotated"


@pytest.mark.django_db
def test_missing_secret_names_the_secret(tenant, other_tenant):
    secret_set(tenant=other_tenant, name="api-token", value="globex only")
    with pytest.raises(SecretNotFound, match="'api-token'"):
        secret_get(tenant=tenant, name="api-token")


@pytest.mark.django_db
def test_ai_key_is_encrypted_at_rest_and_round_trips(tenant):
    with pytest.raises(AISettingsMissing):
        ai_settings_api_key(tenant=tenant)
    ai_settings_set(tenant=tenant, api_key="sk-very-secret", model="local-echo", temperature=0.5)
    assert "sk-very-secret" not in raw_column("tenants_tenantaisettings", "api_key_encrypted")
    assert ai_settings_api_key(tenant=tenant) == "sk-very-secret"
    ai_settings_set(tenant=tenant, max_tokens=99)  # no key given: the key is kept
    assert ai_settings_api_key(tenant=tenant) == "sk-very-secret"
    assert TenantAISettings.objects.get(tenant=tenant).max_tokens == 99


@pytest.mark.django_db
def test_ai_settings_refuse_unknown_fields(tenant):
    with pytest.raises(ValueError, match="api_key_encrypted"):
        ai_settings_set(tenant=tenant, api_key_encrypted="not encrypted")


@pytest.mark.django_db
def test_roles_are_per_tenant(tenant, other_tenant, make_user):
    editor = make_user(tenant, "editor")
    assert user_role(user=editor, tenant=tenant) == "editor"
    assert user_role(user=editor, tenant=other_tenant) is None
    membership_set(tenant=tenant, user=editor, role="approver")
    membership_set(tenant=other_tenant, user=editor, role="viewer")
    assert user_role(user=editor, tenant=tenant) == "approver"
    assert list(users_with_role(tenant=tenant, role="approver")) == [editor]
    assert list(users_with_role(tenant=other_tenant, role="approver")) == []
    with pytest.raises(ValueError, match="unknown role 'owner'"):
        membership_set(tenant=tenant, user=editor, role="owner")


@pytest.mark.django_db
def test_user_in_tenant_refuses_other_tenants_users(tenant, other_tenant, make_user):
    make_user(other_tenant, "editor", username="globex_bob")
    alice = make_user(tenant, "editor", username="alice")
    assert user_in_tenant(tenant=tenant, username="alice") == alice
    with pytest.raises(NotAMember, match="'globex_bob' is not a member"):
        user_in_tenant(tenant=tenant, username="globex_bob")
    with pytest.raises(NotAMember):
        user_in_tenant(tenant=tenant, username="nobody")


@pytest.mark.django_db
def test_tenant_get(tenant):
    assert tenant_get(slug="acme") == tenant
    with pytest.raises(Tenant.DoesNotExist):
        tenant_get(slug="initech")


@pytest.mark.django_db
def test_secret_names_are_slugs(tenant):
    with pytest.raises(ValueError, match="invalid secret name"):
        secret_set(tenant=tenant, name="../etc passwd", value="x")
