"""External integration nodes: HTTP request and signed outgoing webhook."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from email.message import Message
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field
from standardwebhooks import Webhook

from .base import NodeConfig, NodeError, NodeResult, NodeRunContext, NodeType

MAX_RESPONSE_BYTES = 10 * 1024 * 1024
WEBHOOK_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "crm-automation/1"
# Namespace of webhook ids derived from (execution, node, target, payload).
WEBHOOK_ID_NAMESPACE = uuid.UUID("6f1d3b1e-8a4f-4c1e-9a57-0f2b5d7c9e41")


class HttpRequestConfig(NodeConfig):
    """Call an HTTP endpoint and return its status, headers and body."""

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] = "GET"
    url: str = Field(min_length=1, max_length=2048)
    headers: dict[str, str] = Field(default_factory=dict)
    query: dict[str, str] = Field(default_factory=dict)
    body_type: Literal["none", "json", "form"] = "none"
    json_body: Any = None
    form_body: dict[str, str] = Field(default_factory=dict)
    timeout_s: float = Field(default=10.0, gt=0, le=120)
    max_response_bytes: int = Field(default=1024 * 1024, ge=1, le=MAX_RESPONSE_BYTES)
    fail_on_error_status: bool = Field(
        default=True, description="Fail the node on a 4xx/5xx response"
    )


class WebhookOutConfig(NodeConfig):
    """Send a JSON payload signed the Standard Webhooks way (HMAC-SHA256)."""

    url: str = Field(min_length=1, max_length=2048)
    payload: Any = Field(default_factory=dict)
    secret_name: str = Field(
        min_length=1, max_length=100, description="Name of the tenant secret used for signing"
    )
    event_type: str = Field(default="workflow.event", max_length=100)
    timeout_s: float = Field(default=10.0, gt=0, le=60)


def _parse_body(body: bytes, content_type: str) -> Any:
    """JSON for JSON media types (text when it does not parse), else text."""
    message = Message()
    message["content-type"] = content_type or "application/octet-stream"
    media_type = message.get_content_type()
    charset = message.get_content_charset() or "utf-8"
    try:
        text = body.decode(charset, errors="replace")
    except LookupError:
        text = body.decode("utf-8", errors="replace")
    if media_type == "application/json" or media_type.endswith("+json"):
        if not text.strip():
            return None
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def _status_error(status: int, url: str, detail: str = "") -> NodeError:
    where = urlsplit(url)._replace(query="").geturl()
    return NodeError(
        f"HTTP {status} from {where}" + (f": {detail[:200]}" if detail else ""),
        error_type="http_status",
        transient=status == 429 or status >= 500,
    )


async def run_http_request(ctx: NodeRunContext, config: HttpRequestConfig) -> NodeResult:
    body: dict[str, Any] = {}
    if config.body_type == "json":
        body["json"] = config.json_body
    elif config.body_type == "form":
        body["data"] = config.form_body
    headers = dict(config.headers)
    if not any(key.lower() == "user-agent" for key in headers):
        headers["user-agent"] = USER_AGENT
    response = await ctx.resource("http").request(
        config.method,
        config.url,
        headers=headers,
        params=config.query or None,
        timeout_s=config.timeout_s,
        max_response_bytes=config.max_response_bytes,
        **body,
    )
    parsed = _parse_body(response.body_bytes, response.content_type)
    if config.fail_on_error_status and response.status_code >= 400:
        detail = parsed if isinstance(parsed, str) else json.dumps(parsed)
        raise _status_error(response.status_code, response.url, detail)
    return NodeResult(
        output={
            "status_code": response.status_code,
            "headers": {k: v for k, v in response.headers.items() if k != "set-cookie"},
            "body": parsed,
            "url": response.url,
        }
    )


def _webhook_id(ctx: NodeRunContext, config: WebhookOutConfig, payload: str) -> str:
    """Stable across retries of the same message (receivers dedupe on it), else random."""
    if not ctx.execution_id:
        return f"msg_{uuid.uuid4().hex}"
    digest = hashlib.sha256(payload.encode()).hexdigest()
    name = f"{ctx.execution_id}/{ctx.node_id}/{config.event_type}/{config.url}/{digest}"
    return f"msg_{uuid.uuid5(WEBHOOK_ID_NAMESPACE, name).hex}"


async def run_webhook_out(ctx: NodeRunContext, config: WebhookOutConfig) -> NodeResult:
    secret = await ctx.resource("secrets").aget(config.secret_name)
    try:
        signer = Webhook(secret)
    except Exception as exc:
        raise NodeError(
            f"secret {config.secret_name!r} is not a usable signing secret "
            "(expected base64, optionally prefixed with whsec_)",
            error_type="invalid_secret",
        ) from exc
    try:
        data = json.dumps(config.payload, separators=(",", ":"), allow_nan=False, default=str)
    except ValueError as exc:
        raise NodeError(f"payload is not valid JSON: {exc}", error_type="invalid_input") from exc
    webhook_id = _webhook_id(ctx, config, data)
    now = datetime.now(UTC)
    body = json.dumps(
        {"type": config.event_type, "timestamp": now.isoformat(), "data": json.loads(data)},
        separators=(",", ":"),
    )
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signer.sign(webhook_id, now, body),
    }
    response = await ctx.resource("http").request(
        "POST",
        config.url,
        headers=headers,
        content=body.encode(),
        timeout_s=config.timeout_s,
        max_response_bytes=WEBHOOK_RESPONSE_BYTES,
        truncate_body=True,
        follow_redirects=False,
    )
    if not 200 <= response.status_code < 300:
        raise _status_error(response.status_code, response.url, "the receiver did not accept it")
    return NodeResult(output={"status_code": response.status_code, "webhook_id": webhook_id})


NODE_TYPES = [
    NodeType(
        name="http_request",
        label="HTTP Request",
        category="integration",
        config_model=HttpRequestConfig,
        run=run_http_request,
        resources=frozenset({"http"}),
    ),
    NodeType(
        name="webhook_out",
        label="Send Webhook",
        category="integration",
        config_model=WebhookOutConfig,
        run=run_webhook_out,
        resources=frozenset({"http", "secrets"}),
    ),
]
