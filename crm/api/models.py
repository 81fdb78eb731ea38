"""API tokens: one per user and tenant, stored as a sha256 hash with a display prefix."""

from django.conf import settings
from django.db import models

from crm.tenants.models import Tenant


class ApiToken(models.Model):
    """A bearer token acting as `user` in `tenant`; the key itself is never stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True, default="")
    prefix = models.CharField(max_length=16, help_text="The key's first characters, for display.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user} @ {self.tenant})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
