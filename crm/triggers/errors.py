"""Webhook ingress refusals: an HTTP status, a stable code and a reason for the sender."""

from __future__ import annotations

# Stable codes (tests and senders match on these, not on the prose).
UNKNOWN_WEBHOOK = "webhook.E001"
UNAUTHENTICATED = "webhook.E002"
TOO_LARGE = "webhook.E003"
MALFORMED = "webhook.E004"
UNSUPPORTED_MEDIA = "webhook.E005"
PAUSED = "webhook.E006"
ARCHIVED = "webhook.E007"
NOT_WEBHOOK = "webhook.E008"


class WebhookRefused(Exception):
    """The request is refused with `status`; `code` and the message go to the sender."""

    def __init__(self, status: int, code: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.code, self.reason = status, code, reason
