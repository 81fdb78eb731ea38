"""Admin: every model's changelist answers for a superuser; a staff user who is admin of acme
sees only acme's objects and choices; secret values and AI keys are write-only and encrypted;
record edits in the admin go through the services (so they write outbox events)."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from crm.records.models import Record, RecordEvent
from crm.records.services import record_create
from crm.tenants.models import Membership, TenantSecret
from crm.tenants.selectors import ai_settings_api_key, secret_get
from crm.tenants.services import ai_settings_set, secret_set
from crm.workflows.services import (
    execution_create,
    execution_finish,
    node_log_start,
    task_create,
    workflow_create,
)

OUR_MODELS = [
    m for m in apps.get_models() if m._meta.app_label in ("tenants", "records", "workflows")
]


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


@pytest.fixture
def populated(tenant, other_tenant, deals, other_deals, make_user):
    editor = make_user(tenant, "editor")
    make_user(other_tenant, "editor")
    record_create(tenant=tenant, pipeline=deals, data={"name": "Acme deal"})
    record_create(tenant=other_tenant, pipeline=other_deals, data={"name": "Globex deal"})
    secret_set(tenant=tenant, name="webhook-signing", value="whsec_topsecret")
    ai_settings_set(tenant=tenant, api_key="sk-topsecret")
    workflow = workflow_create(tenant=tenant, name="W")
    execution = execution_create(tenant=tenant, workflow=workflow, source="manual", trigger_data={})
    node_log_start(
        execution_id=execution.pk,
        node_id="n",
        node_type="trigger",
        node_name="N",
        attempt=1,
        input_data={},
    )
    execution_finish(execution_id=execution.pk, status="success")
    task_create(tenant=tenant, title="Call back", assigned_to=editor)


@pytest.fixture
def acme_staff_admin(tenant, populated):
    user = get_user_model().objects.create_user(username="acme_boss", password="pw", is_staff=True)
    Membership.objects.create(tenant=tenant, user=user, role="admin")
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["tenants", "records", "workflows"])
    )
    return user


@pytest.mark.django_db
def test_every_model_is_registered():
    assert all(model in admin.site._registry for model in OUR_MODELS)


@pytest.mark.django_db
@pytest.mark.parametrize("model", OUR_MODELS, ids=lambda m: m.__name__)
def test_changelists_answer_for_superuser(admin_client, populated, model):
    response = admin_client.get(changelist(model))
    assert response.status_code == 200
    assert b"topsecret" not in response.content


@pytest.mark.django_db
def test_tenant_admin_sees_only_their_tenant(client, acme_staff_admin, other_deals):
    client.force_login(acme_staff_admin)
    page = client.get(changelist(Record)).content.decode()
    assert "Acme deal" in page and "Globex deal" not in page
    globex_record = Record.objects.get(tenant__slug="globex")
    url = reverse("admin:records_record_change", args=[globex_record.pk])
    assert client.get(url).status_code == 302  # "does not exist", back to the index
    add_page = client.get(reverse("admin:records_record_add")).content.decode()
    assert "acme/deals" in add_page and "globex" not in add_page
    assert "globex" not in client.get(changelist(Membership)).content.decode()


@pytest.mark.django_db
def test_tenant_admin_cannot_create_in_other_tenant(client, acme_staff_admin, other_tenant):
    client.force_login(acme_staff_admin)
    response = client.post(
        reverse("admin:tenants_tenantsecret_add"),
        {"tenant": other_tenant.pk, "name": "stolen", "value": "x"},
    )
    assert response.status_code == 200  # the form comes back with an error
    assert not TenantSecret.objects.filter(name="stolen").exists()


@pytest.mark.django_db
def test_secret_value_is_write_only(admin_client, tenant, populated):
    secret = TenantSecret.objects.get(name="webhook-signing")
    url = reverse("admin:tenants_tenantsecret_change", args=[secret.pk])
    page = admin_client.get(url).content.decode()
    assert 'type="password"' in page and secret.value_encrypted not in page
    admin_client.post(url, {"tenant": tenant.pk, "name": "webhook-signing", "value": ""})
    assert secret_get(tenant=tenant, name="webhook-signing") == "whsec_topsecret"  # kept
    admin_client.post(url, {"tenant": tenant.pk, "name": "webhook-signing", "value": "rotated"})
    assert secret_get(tenant=tenant, name="webhook-signing") == "rotated"
    assert "rotated" not in TenantSecret.objects.get(pk=secret.pk).value_encrypted


@pytest.mark.django_db
def test_ai_key_is_write_only(admin_client, tenant, populated):
    ai = tenant.ai_settings
    url = reverse("admin:tenants_tenantaisettings_change", args=[ai.pk])
    page = admin_client.get(url).content.decode()
    assert ai.api_key_encrypted not in page and "sk-topsecret" not in page
    form = {
        "tenant": tenant.pk,
        "base_url": "http://127.0.0.1:8100/v1",
        "model": "m2",
        "temperature": 0.2,
        "max_tokens": 512,
        "request_timeout_s": 30,
        "max_concurrent_requests": 8,
        "monthly_token_budget": 1000,
        "api_key": "",
    }
    assert admin_client.post(url, form).status_code == 302
    assert ai_settings_api_key(tenant=tenant) == "sk-topsecret"
    admin_client.post(url, {**form, "api_key": "sk-new"})
    assert ai_settings_api_key(tenant=tenant) == "sk-new"


@pytest.mark.django_db
def test_record_admin_writes_through_services(admin_client, tenant, deals):
    response = admin_client.post(
        reverse("admin:records_record_add"),
        {"tenant": tenant.pk, "pipeline": deals.pk, "data": '{"name": "From admin", "amount": 5}'},
    )
    assert response.status_code == 302
    record = Record.objects.get()
    url = reverse("admin:records_record_change", args=[record.pk])
    assert "From admin" in admin_client.get(url).content.decode()
    refused = admin_client.post(url, {"data": "[1, 2]"})
    assert "must be a JSON object" in refused.content.decode()
    admin_client.post(url, {"data": '{"name": "From admin", "amount": 6}'})
    event = RecordEvent.objects.get(kind="record_updated")
    assert event.changed_fields == {"amount": {"old": 5, "new": 6}}
    admin_client.post(reverse("admin:records_record_delete", args=[record.pk]), {"post": "yes"})
    assert not Record.objects.exists()
    assert list(RecordEvent.objects.values_list("kind", flat=True).order_by("id")) == [
        "record_created",
        "record_updated",
        "record_deleted",
    ]


@pytest.mark.django_db
def test_versions_are_read_only(admin_client):
    from crm.workflows.models import WorkflowVersion

    assert not admin.site._registry[WorkflowVersion].has_change_permission(None)
    assert admin_client.get(reverse("admin:workflows_workflowversion_add")).status_code == 403
