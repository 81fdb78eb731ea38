"""Workflows, their immutable versions, executions, per-node logs, approvals and tasks."""

import uuid

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import models

from crm.tenants.models import Role, Tenant

from .errors import VersionImmutable


class WorkflowStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    ARCHIVED = "archived", "Archived"


class WorkflowTriggerType(models.TextChoices):
    MANUAL = "manual", "Manual"
    RECORD_CREATED = "record_created", "Record created"
    RECORD_UPDATED = "record_updated", "Record updated"
    FIELD_CHANGED = "field_changed", "Field changed"
    RECORD_DELETED = "record_deleted", "Record deleted"
    SCHEDULED = "scheduled", "Scheduled"
    WEBHOOK = "webhook", "Webhook"


class Workflow(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="workflows")
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    status = models.CharField(
        max_length=20, choices=WorkflowStatus.choices, default=WorkflowStatus.DRAFT
    )
    trigger_type = models.CharField(
        max_length=30, choices=WorkflowTriggerType.choices, default=WorkflowTriggerType.MANUAL
    )
    trigger_config = models.JSONField(default=dict, blank=True)
    max_executions_per_hour = models.PositiveIntegerField(default=100)
    timeout_minutes = models.PositiveIntegerField(default=60)
    retry_count = models.PositiveIntegerField(default=3)
    # The draft being edited in the builder (React Flow JSON); published copies are versions.
    workflow_definition = models.JSONField(default=dict, blank=True)
    # Another workflow of the same tenant, started when an execution of this one fails for good.
    failure_handler = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="handles_failures_of",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="unique_workflow_name"),
            models.CheckConstraint(
                condition=~models.Q(failure_handler=models.F("id")),
                name="failure_handler_not_itself",
            ),
        ]
        indexes = [models.Index(fields=["status", "trigger_type"])]

    def __str__(self) -> str:
        return f"{self.tenant}/{self.name}"

    def failure_handler_problem(self) -> str | None:
        """Why the failure handler is not allowed (another workflow of the same tenant), if so."""
        handler = self.failure_handler
        if handler is None:
            return None
        if handler.pk == self.pk:
            return "a workflow cannot be its own failure handler"
        if handler.tenant_id != self.tenant_id:
            return "the failure handler must belong to the same tenant"
        return None

    def clean(self) -> None:
        super().clean()
        problem = self.failure_handler_problem()
        if problem is not None:
            raise ValidationError({"failure_handler": problem})

    @property
    def current_version(self) -> "WorkflowVersion | None":
        return self.versions.order_by("-number").first()


class WorkflowVersion(models.Model):
    """An immutable, numbered snapshot of a published definition and its settings."""

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    definition = models.JSONField()
    # Settings as published: retry_count, timeout_minutes, max_executions_per_hour, trigger.
    settings = models.JSONField(default=dict)
    published_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    published_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workflow", "number"], name="unique_version_number")
        ]
        ordering = ["workflow", "number"]

    def __str__(self) -> str:
        return f"{self.workflow} v{self.number}"

    def save(self, *args, **kwargs) -> None:
        """Insert only: an existing version is never rewritten."""
        if not self._state.adding:
            raise VersionImmutable()
        super().save(*args, **kwargs)


class ExecutionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    WAITING = "waiting", "Waiting"
    SUCCESS = "success", "Success"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"


class WorkflowExecution(models.Model):
    """One execution of a workflow version; it may span several Dagster runs."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="executions")
    # Null for ad-hoc runs of a definition file from the command line.
    workflow = models.ForeignKey(
        Workflow, null=True, blank=True, on_delete=models.CASCADE, related_name="executions"
    )
    version = models.ForeignKey(
        WorkflowVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=30, default="manual")  # manual, cli, dagster_ui, ...
    dagster_run_id = models.CharField(max_length=64, blank=True, default="", db_index=True)
    started_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=ExecutionStatus.choices, default=ExecutionStatus.PENDING
    )
    trigger_data = models.JSONField(default=dict, blank=True)
    triggered_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    execution_context = models.JSONField(default=dict, blank=True)
    final_output = models.JSONField(null=True, blank=True)
    error_message = models.TextField(blank=True, default="")
    retry_count = models.PositiveIntegerField(default=0)
    # For an execution of a failure handler: the failed execution it handles (one handler
    # execution per failed execution, enforced by the unique one-to-one).
    handles_execution = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="failure_handler_execution",
    )

    class Meta:
        indexes = [models.Index(fields=["workflow", "status"])]
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"execution {self.id} ({self.status})"


class NodeStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    SUCCESS = "success", "Success"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"
    WAITING = "waiting", "Waiting"


class WorkflowExecutionLog(models.Model):
    """The log of one node (attempt) within an execution."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    execution = models.ForeignKey(WorkflowExecution, on_delete=models.CASCADE, related_name="logs")
    node_id = models.CharField(max_length=255)
    node_type = models.CharField(max_length=30)
    node_name = models.CharField(max_length=255, blank=True, default="")
    attempt = models.PositiveIntegerField(default=1)
    item_index = models.IntegerField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=NodeStatus.choices, default=NodeStatus.PENDING)
    input_data = models.JSONField(default=dict, blank=True)
    output_data = models.JSONField(null=True, blank=True)
    output_handle = models.CharField(max_length=100, blank=True, default="")
    execution_details = models.JSONField(default=dict, blank=True)
    error_details = models.JSONField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["execution", "node_id"])]
        ordering = ["started_at"]

    def __str__(self) -> str:
        return f"{self.node_id} ({self.status})"


class WorkflowApproval(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="approvals")
    execution = models.ForeignKey(
        WorkflowExecution, on_delete=models.CASCADE, related_name="approvals"
    )
    execution_log = models.ForeignKey(
        WorkflowExecutionLog, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    node_id = models.CharField(max_length=255)
    requested_at = models.DateTimeField(auto_now_add=True)
    assigned_to = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_approvals",
    )
    assigned_role = models.CharField(max_length=20, choices=Role.choices, blank=True, default="")
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True, default="")
    approval_data = models.JSONField(default=dict, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    approved = models.BooleanField(null=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="decided_approvals",
    )
    approval_notes = models.TextField(blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["assigned_to", "approved"])]

    def __str__(self) -> str:
        return self.title


class TaskStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"


class Task(models.Model):
    """A task or notification for a user (or every member of a role) of a tenant."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="tasks")
    assigned_to = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
    )
    assigned_role = models.CharField(max_length=20, choices=Role.choices, blank=True, default="")
    kind = models.CharField(max_length=20, default="task")  # task | notification
    title = models.CharField(max_length=255)
    body = models.TextField(blank=True, default="")
    priority = models.CharField(max_length=10, default="normal")
    status = models.CharField(max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    due_at = models.DateTimeField(null=True, blank=True)
    execution = models.ForeignKey(
        WorkflowExecution, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    node_id = models.CharField(max_length=255, blank=True, default="")
    item_key = models.CharField(max_length=255, blank=True, default="")  # inside a for-each
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class SuspensionState(models.TextChoices):
    WAITING = "waiting", "Waiting"  # for a decision or its due time
    READY = "ready", "Ready"  # decided (or due): a continuation run may start
    RESUMING = "resuming", "Resuming"  # the continuation run is claimed (its id is known)
    RESUMED = "resumed", "Resumed"  # the node ran again in the continuation and went on
    CANCELED = "canceled", "Canceled"  # the execution ended otherwise
    FAILED = "failed", "Failed"  # the continuation run ended before the node ran again


class WorkflowSuspension(models.Model):
    """A node that suspended its execution (approval, long wait) and how it resumes.

    Services and selectors: crm/workflows/approvals.py; continuation runs: automation/resume.py.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    execution = models.ForeignKey(
        WorkflowExecution, on_delete=models.CASCADE, related_name="suspensions"
    )
    node_id = models.CharField(max_length=255)
    # Inside a for-each body: which item ("3"); each item suspends on its own, and the
    # execution resumes once none of its suspensions in that run is waiting any more.
    item_key = models.CharField(max_length=255, blank=True, default="")
    kind = models.CharField(max_length=20)  # approval | wait
    approval = models.OneToOneField(
        WorkflowApproval,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="suspension",
    )
    # The Dagster run the node suspended in, and its step key (the continuation re-executes
    # `<step_key>*` from that run).
    parent_run_id = models.CharField(max_length=64, blank=True, default="")
    step_key = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    # When a wait is due or an approval expires (null: never).
    due_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(
        max_length=20, choices=SuspensionState.choices, default=SuspensionState.WAITING
    )
    # The handle the node goes out on when it resumes (approved, rejected, expired, out) and
    # what it outputs then.
    resolution = models.CharField(max_length=100, blank=True, default="")
    resolution_data = models.JSONField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    continuation_run_id = models.CharField(max_length=64, blank=True, default="")
    claimed_at = models.DateTimeField(null=True, blank=True)
    resumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["execution", "node_id", "item_key"], name="unique_suspension"
            )
        ]
        indexes = [models.Index(fields=["state", "due_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.node_id} of {self.execution_id} ({self.state})"
