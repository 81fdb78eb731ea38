"""Errors raised by tenant services and selectors."""

from __future__ import annotations


class SecretNotFound(Exception):
    """The tenant has no secret with this name."""

    code = "tenants.E001"

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"Secret {name!r} is not set for this tenant.")


class NotAMember(Exception):
    """The user does not exist or is not a member of the tenant."""

    code = "tenants.E002"

    def __init__(self, username: str) -> None:
        self.username = username
        super().__init__(f"User {username!r} is not a member of this tenant.")


class AISettingsMissing(Exception):
    """The tenant has no AI settings or no API key."""

    code = "tenants.E003"

    def __init__(self) -> None:
        super().__init__("AI settings (API key) are not configured for this tenant.")
