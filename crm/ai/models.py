"""Token usage of tenant AI calls, and the models a tenant lets nodes choose."""

from django.db import models

from crm.tenants.models import Tenant


class AIUsage(models.Model):
    """Tokens of one successful chat completion, by tenant, workflow, execution and node."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="ai_usage")
    # Plain ids, not foreign keys: the budget keeps counting after a workflow is deleted.
    workflow_id = models.CharField(max_length=64, blank=True, default="", db_index=True)
    execution_id = models.CharField(max_length=64, blank=True, default="", db_index=True)
    node_id = models.CharField(max_length=255, blank=True, default="")
    model = models.CharField(max_length=200)
    prompt_tokens = models.PositiveIntegerField()
    completion_tokens = models.PositiveIntegerField()
    total_tokens = models.PositiveIntegerField()
    attempts = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "created_at"])]
        verbose_name_plural = "AI usage"

    def __str__(self) -> str:
        return f"{self.tenant_id}/{self.execution_id or '-'}/{self.node_id}: {self.total_tokens}"


class AIMonthlyUsage(models.Model):
    """A tenant's tokens in one calendar month (UTC), kept up to date with every usage write:
    the budget check reads one row, however many calls the month has had."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="ai_monthly_usage")
    month = models.DateField(help_text="The first day of the month (UTC)")
    total_tokens = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "month"], name="unique_ai_monthly_usage")
        ]
        verbose_name_plural = "AI monthly usage"

    def __str__(self) -> str:
        return f"{self.tenant_id}/{self.month:%Y-%m}: {self.total_tokens}"


class AIAllowedModel(models.Model):
    """A model nodes of the tenant may ask for; a tenant without any allows every override."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="ai_allowed_models")
    name = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="unique_ai_allowed_model")
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id}/{self.name}"
