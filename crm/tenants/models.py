"""Tenants, per-tenant roles, AI settings and encrypted secrets."""

from django.conf import settings
from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    EDITOR = "editor", "Editor"
    OPERATOR = "operator", "Operator"
    APPROVER = "approver", "Approver"
    VIEWER = "viewer", "Viewer"


class Tenant(models.Model):
    slug = models.SlugField(max_length=63, unique=True)
    name = models.CharField(max_length=255)
    # Hosts, IP addresses or CIDR ranges that HTTP nodes may reach even though they are
    # private, loopback or link-local (refused by default).
    http_allowed_hosts = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.slug


class Membership(models.Model):
    """A user's role in one tenant."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.VIEWER)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "user"], name="unique_membership")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.tenant} ({self.role})"


class TenantAISettings(models.Model):
    """The tenant's OpenAI-compatible model settings; the key is encrypted at rest."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="ai_settings")
    base_url = models.URLField(max_length=500, default="http://127.0.0.1:8100/v1")
    model = models.CharField(max_length=200, default="local-echo")
    api_key_encrypted = models.TextField(blank=True, default="")
    temperature = models.FloatField(default=0.2)
    max_tokens = models.PositiveIntegerField(default=512)
    request_timeout_s = models.FloatField(default=30.0)
    max_concurrent_requests = models.PositiveIntegerField(default=8)
    monthly_token_budget = models.PositiveBigIntegerField(default=1_000_000)

    def __str__(self) -> str:
        return f"AI settings of {self.tenant}"


class TenantSecret(models.Model):
    """A named secret (e.g. a webhook signing key), encrypted at rest; nodes refer to its name."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="secrets")
    name = models.SlugField(max_length=100)
    value_encrypted = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="unique_tenant_secret")
        ]

    def __str__(self) -> str:
        return f"{self.tenant}/{self.name}"
