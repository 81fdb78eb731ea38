"""Webhook ingress: size limit, authentication (secret header or Standard Webhooks signature),
body parsing (JSON or form data), workflow state; then the event is stored durably."""

from __future__ import annotations

import functools
import hmac
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from standardwebhooks import Webhook

from crm.tenants.crypto import decrypt
from crm.workflows.models import WorkflowStatus, WorkflowTriggerType

from . import errors as E
from .errors import WebhookRefused
from .selectors import Hook, hook_by_key

MAX_BODY_BYTES = 1024 * 1024  # 1 MiB
SECRET_HEADER = "x-webhook-secret"
SIGNATURE_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
# Request headers a workflow may see; anything carrying credentials is dropped.
_SAFE_HEADERS = frozenset({"content-type", "user-agent", "webhook-id", "webhook-timestamp"})
_SECRET_WORDS = ("secret", "token", "key", "auth", "signature", "cookie", "password")


@dataclass
class Accepted:
    message_id: str
    headers: dict[str, str]
    body: Any
    content_type: str


def safe_headers(headers: dict[str, str]) -> dict[str, str]:
    """The subset of request headers handed to the workflow (no credentials)."""
    kept = {}
    for name, value in headers.items():
        lower = name.lower()
        if lower in _SAFE_HEADERS or (
            lower.startswith("x-") and not any(word in lower for word in _SECRET_WORDS)
        ):
            kept[lower] = value[:1000]
    return kept


def find_hook(key: str) -> Hook:
    hook = hook_by_key(key) if 0 < len(key) <= 64 else None
    if hook is None:
        raise WebhookRefused(404, E.UNKNOWN_WEBHOOK, "No webhook has this URL.")
    return hook


@functools.lru_cache(maxsize=256)
def _secret(secret_encrypted: str) -> str:
    """The plaintext of a stored secret. Keyed by the ciphertext, which a rotation replaces,
    so a rotated secret is never served from here."""
    return decrypt(secret_encrypted)


def authenticate(hook: Hook, headers: dict[str, str], body: bytes) -> str:
    """Check the signature (or the secret header); returns the message id ('' without one)."""
    secret = _secret(hook.secret_encrypted)
    if headers.get("webhook-signature"):
        try:
            Webhook(secret).verify(body, headers, json_parse=False)
        except Exception as exc:  # noqa: BLE001 - any malformed signature is a refusal
            raise WebhookRefused(
                401, E.UNAUTHENTICATED, f"The webhook signature is not valid: {exc}."
            ) from None
        return headers["webhook-id"][:255]
    given = headers.get(SECRET_HEADER, "")
    if not given:
        raise WebhookRefused(
            401,
            E.UNAUTHENTICATED,
            "Authenticate with the X-Webhook-Secret header or a Standard Webhooks signature "
            "(webhook-id, webhook-timestamp, webhook-signature).",
        )
    if not hmac.compare_digest(given.encode(), secret.encode()):
        raise WebhookRefused(401, E.UNAUTHENTICATED, "The webhook secret is wrong.")
    return headers.get("webhook-id", "")[:255]


def check_workflow(hook: Hook) -> None:
    """Only an active, published workflow with a webhook trigger accepts events."""
    status = hook.workflow_status
    if status == WorkflowStatus.ARCHIVED:
        raise WebhookRefused(404, E.ARCHIVED, "The workflow is archived; it accepts no events.")
    if status != WorkflowStatus.ACTIVE:
        raise WebhookRefused(
            409, E.PAUSED, f"The workflow is {status}; activate it to accept events."
        )
    if hook.trigger_type != WorkflowTriggerType.WEBHOOK:
        raise WebhookRefused(
            409, E.NOT_WEBHOOK, "The workflow's published trigger is not a webhook trigger."
        )


def parse_body(body: bytes, content_type: str) -> Any:
    """JSON (the default) or form data; a malformed body is refused with the reason."""
    media = content_type.split(";")[0].strip().lower()
    if media == "multipart/form-data":
        return None  # parsed by Django (fields only, no files) in the view
    if media == "application/x-www-form-urlencoded":
        try:
            fields = parse_qs(body.decode(), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            raise WebhookRefused(400, E.MALFORMED, "The form body is not UTF-8.") from None
        return {name: values[0] if len(values) == 1 else values for name, values in fields.items()}
    if media in ("", "application/json", "text/json") or media.endswith("+json"):
        if not body.strip():
            return None
        try:
            return json.loads(body)
        except UnicodeDecodeError:
            raise WebhookRefused(400, E.MALFORMED, "The JSON body is not UTF-8.") from None
        except json.JSONDecodeError as exc:
            raise WebhookRefused(400, E.MALFORMED, f"The body is not valid JSON: {exc}.") from None
        except RecursionError:
            raise WebhookRefused(400, E.MALFORMED, "The JSON body is nested too deeply.") from None
    raise WebhookRefused(
        415,
        E.UNSUPPORTED_MEDIA,
        f"Send JSON or form data (application/x-www-form-urlencoded or multipart/form-data), "
        f"not {media}.",
    )


def accept(hook: Hook, headers: dict[str, str], body: bytes, content_type: str) -> Accepted:
    """Authenticate, check the workflow, parse: what to store, or a refusal."""
    message_id = authenticate(hook, headers, body)
    check_workflow(hook)
    return Accepted(
        message_id=message_id,
        headers=safe_headers(headers),
        body=parse_body(body, content_type),
        content_type=content_type[:100],
    )
