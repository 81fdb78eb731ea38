"""The webhook URL: POST /hooks/<key> stores the event durably, then answers 202 with its id."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import errors as E
from .errors import WebhookRefused
from .ingress import MAX_BODY_BYTES, accept, find_hook
from .services import webhook_event_store


def _refusal(exc: WebhookRefused) -> JsonResponse:
    return JsonResponse({"detail": exc.reason, "code": exc.code}, status=exc.status)


def _too_large() -> WebhookRefused:
    return WebhookRefused(413, E.TOO_LARGE, f"The body is over {MAX_BODY_BYTES:,} bytes (1 MiB).")


def _read_body(request: HttpRequest) -> bytes:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        raise _too_large()
    try:
        body = request.body
    except RequestDataTooBig:
        raise _too_large() from None
    if len(body) > MAX_BODY_BYTES:
        raise _too_large()
    return body


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, key: str) -> JsonResponse:
    """Receive one webhook call for the workflow whose webhook has this key."""
    try:
        body = _read_body(request)
        hook = find_hook(key)
        content_type = request.META.get("CONTENT_TYPE", "")
        headers = {name.lower(): value for name, value in request.headers.items()}
        accepted = accept(hook, headers, body, content_type)
        if content_type.lower().startswith("multipart/form-data"):
            # Authenticated over the raw bytes first; the fields (not files) are the body.
            accepted.body = {
                name: values[0] if len(values) == 1 else values
                for name, values in request.POST.lists()
            }
    except WebhookRefused as exc:
        return _refusal(exc)
    event, created = webhook_event_store(
        tenant_id=hook.tenant_id,
        workflow_id=hook.workflow_id,
        message_id=accepted.message_id,
        headers=accepted.headers,
        body=accepted.body,
        content_type=accepted.content_type,
    )
    # The event is committed: only now is the request acknowledged.
    return JsonResponse(
        {"event_id": event.pk, "status": "accepted" if created else "duplicate"}, status=202
    )
