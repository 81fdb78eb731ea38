"""Trigger writes: webhook endpoints (secret shown once), stored events, deliveries."""

from __future__ import annotations

import base64
import secrets
from typing import Any

from django.db import IntegrityError, transaction
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
    endpoint: WebhookEndpoint,
    message_id: str,
    headers: dict[str, str],
    body: Any,
    content_type: str,
) -> tuple[WebhookEvent, bool]:
    """Store an accepted request (committed on return); a replayed message id returns the
    event first stored with it and False."""
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                tenant_id=endpoint.tenant_id,
                workflow_id=endpoint.workflow_id,
                message_id=message_id,
                headers=headers,
                body=body,
                content_type=content_type,
            )
    except IntegrityError:
        if not message_id:
            raise
        existing = WebhookEvent.objects.get(workflow_id=endpoint.workflow_id, message_id=message_id)
        return existing, False
    return event, True
