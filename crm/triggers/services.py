"""Trigger writes: webhook endpoints (secret shown once), stored events, deliveries."""

from __future__ import annotations

import base64
import functools
import secrets
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Field
from django.utils import timezone

from crm.tenants.crypto import encrypt
from crm.workflows.models import Workflow

from .models import WebhookEndpoint, WebhookEvent

SECRET_PREFIX = "whsec_"  # the Standard Webhooks secret format: whsec_ + base64 of the key


def _new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _new_key() -> str:
    return secrets.token_urlsafe(32)  # 256 bits: unguessable


@transaction.atomic
def webhook_endpoint_create(*, workflow: Workflow) -> tuple[WebhookEndpoint, str]:
    """Give the workflow a webhook; returns it and its secret (shown only this once).

    Raises ValueError when the workflow already has one (rotate it instead).
    """
    if WebhookEndpoint.objects.filter(workflow=workflow).exists():
        raise ValueError("the workflow already has a webhook; rotate its secret instead")
    secret = _new_secret()
    endpoint = WebhookEndpoint.objects.create(
        workflow=workflow,
        tenant_id=workflow.tenant_id,
        key=_new_key(),
        secret_encrypted=encrypt(secret),
    )
    return endpoint, secret


@transaction.atomic
def webhook_endpoint_rotate(
    *, endpoint: WebhookEndpoint, new_url: bool = False
) -> tuple[WebhookEndpoint, str]:
    """A new secret (and, when asked, a new URL key); the old ones stop working at once."""
    secret = _new_secret()
    endpoint.secret_encrypted = encrypt(secret)
    endpoint.rotated_at = timezone.now()
    fields = ["secret_encrypted", "rotated_at"]
    if new_url:
        endpoint.key = _new_key()
        fields.append("key")
    endpoint.save(update_fields=fields)
    return endpoint, secret


def webhook_event_store(
    *,
    tenant_id: int,
    workflow_id: Any,
    message_id: str,
    headers: dict[str, str],
    body: Any,
    content_type: str,
) -> tuple[WebhookEvent, bool]:
    """Store an accepted request (one INSERT, committed on return); a replayed message id
    returns the event first stored with it and False."""
    event = WebhookEvent(
        tenant_id=tenant_id,
        workflow_id=workflow_id,
        message_id=message_id,
        headers=headers,
        body=body,
        content_type=content_type,
    )
    try:
        with transaction.atomic():
            _insert_event(event)
    except IntegrityError:
        if not message_id:
            raise
        existing = WebhookEvent.objects.get(workflow_id=workflow_id, message_id=message_id)
        return existing, False
    return event, True


@functools.cache
def _event_insert_sql() -> tuple[str, tuple[Field, ...], bool]:
    meta, quote = WebhookEvent._meta, connection.ops.quote_name
    fields = tuple(field for field in meta.local_concrete_fields if not field.primary_key)
    returning = connection.features.can_return_columns_from_insert
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    ) + (f" RETURNING {quote(meta.pk.column)}" if returning else "")
    return sql, fields, returning


def _insert_event(event: WebhookEvent) -> None:
    """`event.save()` as one prepared INSERT: on the webhook hot path, building the ORM's
    insert cost more than running it. Values go through the fields as the ORM's do
    (pre_save for auto_now_add, get_db_prep_save), as in crm.db_bulk."""
    sql, fields, returning = _event_insert_sql()
    params = [field.get_db_prep_save(field.pre_save(event, True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        event.pk = cursor.fetchone()[0] if returning else cursor.lastrowid
    event._state.adding = False
