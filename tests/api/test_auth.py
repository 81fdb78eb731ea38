"""Authentication: bearer tokens are stored hashed, revoked or wrong tokens and no credentials
get 401; sessions pick the tenant from X-Tenant (or the only membership) and need CSRF for
unsafe methods; valid credentials without membership in the tenant get 403."""

from __future__ import annotations

import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from crm.api.models import ApiToken
from crm.api.tokens import api_token_create, api_token_revoke
from crm.tenants.errors import NotAMember
from crm.tenants.models import Membership

from .conftest import ApiClient

pytestmark = pytest.mark.django_db


def test_token_is_stored_hashed_with_a_display_prefix(tenant, make_user):
    user = make_user(tenant, "viewer")
    token, key = api_token_create(user=user, tenant=tenant, name="ci")
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in {stored.key_hash, stored.prefix, stored.name}
    assert key.startswith(stored.prefix) and len(stored.prefix) < len(key) / 3
    assert stored.last_used_at is None
    assert ApiClient(key).get("/api/me").status_code == 200
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None


@pytest.mark.parametrize(
    "header",
    [None, "Bearer crm_wrong", "Bearer ", "Basic dXNlcjpwdw==", "Token abc"],
    ids=["none", "wrong", "empty", "basic", "other-scheme"],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_missing_or_wrong_credentials_get_401(method, header, tenant, client_for):
    client_for(tenant, "admin")  # a valid token exists, but is not the one sent
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = ApiClient().call(method, "/api/workflows", {"name": "X"}, **extra)
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}


def test_a_revoked_token_gets_401(tenant, make_user):
    token, key = api_token_create(user=make_user(tenant, "admin"), tenant=tenant)
    api_token_revoke(token=token)
    assert ApiClient(key).get("/api/me").status_code == 401


def test_a_deactivated_user_token_gets_401(tenant, client_for):
    client = client_for(tenant, "admin")
    client.user.is_active = False
    client.user.save()
    assert client.get("/api/me").status_code == 401


def test_a_token_whose_user_left_the_tenant_gets_403(tenant, client_for):
    client = client_for(tenant, "admin")
    Membership.objects.filter(user=client.user).delete()
    response = client.get("/api/me")
    assert response.status_code == 403 and "not a member" in response.json()["detail"]


def test_tokens_are_only_made_for_members(tenant, other_tenant, make_user):
    with pytest.raises(NotAMember):
        api_token_create(user=make_user(tenant, "admin"), tenant=other_tenant)


def test_the_command_prints_the_token_once(tenant, other_tenant, make_user):
    make_user(tenant, "editor", username="ed")
    out = StringIO()
    call_command(
        "api_token_create", user="ed", tenant="acme", name="cli", stdout=out, stderr=StringIO()
    )
    key = out.getvalue().strip()
    assert ApiToken.objects.get(name="cli").key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert ApiClient(key).get("/api/me").json()["role"] == "editor"
    with pytest.raises(CommandError, match="not a member"):
        call_command("api_token_create", user="ed", tenant="globex", stdout=StringIO())
    with pytest.raises(CommandError, match="no tenant"):
        call_command("api_token_create", user="ed", tenant="nope", stdout=StringIO())


def _session(user, **kwargs) -> ApiClient:
    client = ApiClient(**kwargs)
    client.force_login(user)
    return client


def test_session_with_x_tenant_header(tenant, other_tenant, make_user):
    user = make_user(tenant, "editor", username="both")
    Membership.objects.create(tenant=other_tenant, user=user, role="viewer")
    client = _session(user)
    acme = client.get("/api/me", HTTP_X_TENANT="acme").json()
    globex = client.get("/api/me", HTTP_X_TENANT="globex").json()
    assert (acme["tenant"]["slug"], acme["role"], acme["auth"]) == ("acme", "editor", "session")
    assert (globex["tenant"]["slug"], globex["role"]) == ("globex", "viewer")
    ambiguous = client.get("/api/me")
    assert ambiguous.status_code == 400 and "X-Tenant" in ambiguous.json()["detail"]


def test_session_uses_the_only_membership(tenant, make_user):
    body = _session(make_user(tenant, "operator")).get("/api/me").json()
    assert (body["tenant"]["slug"], body["role"]) == ("acme", "operator")


def test_session_for_a_tenant_without_membership_gets_403(tenant, other_tenant, make_user):
    client = _session(make_user(tenant, "admin"))
    for slug in ("globex", "no-such-tenant"):  # unknown and foreign tenants look the same
        response = client.get("/api/me", HTTP_X_TENANT=slug)
        assert response.status_code == 403 and "not a member" in response.json()["detail"]


def test_session_user_without_any_membership_gets_403(db, django_user_model):
    loner = django_user_model.objects.create_user(username="loner", password="pw")
    assert _session(loner).get("/api/me").status_code == 403


def test_session_writes_need_the_csrf_token(tenant, make_user):
    client = _session(make_user(tenant, "editor"), enforce_csrf_checks=True)
    refused = client.call("post", "/api/workflows", {"name": "No CSRF"})
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    assert client.get("/api/workflows").status_code == 200  # safe methods need no token
    client.get("/admin/login/")  # sets the csrftoken cookie
    csrf = client.cookies["csrftoken"].value
    made = client.call("post", "/api/workflows", {"name": "With CSRF"}, HTTP_X_CSRFTOKEN=csrf)
    assert made.status_code == 201


def test_token_requests_need_no_csrf(tenant, client_for):
    client = client_for(tenant, "editor")
    client.handler.enforce_csrf_checks = True
    assert client.call("post", "/api/workflows", {"name": "Token"}).status_code == 201
