"""The one role → permission table of the API, and the check every endpoint makes."""

from __future__ import annotations

from enum import StrEnum

from crm.tenants.models import Role


class Perm(StrEnum):
    WORKFLOW_READ = "workflow.read"  # workflows, versions, node catalogue
    WORKFLOW_EDIT = "workflow.edit"  # create, edit drafts and settings, archive
    WORKFLOW_VALIDATE = "workflow.validate"
    WORKFLOW_PUBLISH = "workflow.publish"  # publish and roll back
    WORKFLOW_RUN = "workflow.run"  # run now
    EXECUTION_READ = "execution.read"
    EXECUTION_STACK = "execution.stack"  # error stack traces in execution details
    RECORD_READ = "record.read"  # pipelines and records
    RECORD_WRITE = "record.write"
    APPROVAL_DECIDE = "approval.decide"
    MEMBERS_MANAGE = "members.manage"
    AI_SETTINGS_MANAGE = "ai_settings.manage"


_VIEWER = frozenset({Perm.WORKFLOW_READ, Perm.EXECUTION_READ, Perm.RECORD_READ})

ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.VIEWER: _VIEWER,
    Role.APPROVER: _VIEWER | {Perm.APPROVAL_DECIDE},
    Role.OPERATOR: _VIEWER | {Perm.WORKFLOW_RUN, Perm.EXECUTION_STACK},
    Role.EDITOR: _VIEWER
    | {
        Perm.WORKFLOW_EDIT,
        Perm.WORKFLOW_VALIDATE,
        Perm.WORKFLOW_PUBLISH,
        Perm.WORKFLOW_RUN,
        Perm.RECORD_WRITE,
    },
    Role.ADMIN: frozenset(Perm),
}


def permissions_of(role: str | None) -> frozenset[Perm]:
    """The permissions a role grants (none for an unknown role)."""
    return ROLE_PERMISSIONS.get(role or "", frozenset())


def has_perm(role: str | None, perm: Perm) -> bool:
    return perm in permissions_of(role)
