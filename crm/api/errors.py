"""API errors and the exception handlers that turn domain errors into clear JSON replies."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from pydantic import ValidationError as PydanticValidationError

from crm.records.errors import PipelineNotFound, RecordNotFound
from crm.workflows.errors import WorkflowValidationError

logger = logging.getLogger(__name__)

VALIDATION_ISSUE_KEYS = ("code", "message", "node_id", "edge_id", "field")


class ApiError(Exception):
    """An error with an HTTP status, a human reason and optional extra JSON fields."""

    def __init__(self, status: int, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.detail, self.extra = status, detail, extra


def forbidden(perm: str, role: str | None) -> ApiError:
    return ApiError(
        403, f"This needs the '{perm}' permission, which the role '{role}' does not grant."
    )


def conflict(detail: str) -> ApiError:
    return ApiError(409, detail)


def validation_issues(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validation issues with every key present (None where it does not apply)."""
    return [{key: issue.get(key) for key in VALIDATION_ISSUE_KEYS} for issue in errors]


def _django_validation_detail(exc: DjangoValidationError) -> dict[str, Any]:
    if hasattr(exc, "error_dict"):
        fields = {name: [str(m) for m in messages] for name, messages in exc.message_dict.items()}
        summary = "; ".join(
            " ".join(msgs) if name == NON_FIELD_ERRORS else f"{name}: {' '.join(msgs)}"
            for name, msgs in fields.items()
        )
        return {"detail": summary, "fields": fields}
    return {"detail": " ".join(exc.messages)}


def install_handlers(api: NinjaAPI) -> None:
    """Register the handlers: 404 for missing or other tenants' objects, 400/422 for bad input."""

    def reply(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
        return api.create_response(request, body, status=status)

    @api.exception_handler(ApiError)
    def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return reply(request, exc.status, {"detail": exc.detail, **exc.extra})

    @api.exception_handler(WorkflowValidationError)
    def _invalid_definition(request: HttpRequest, exc: WorkflowValidationError) -> HttpResponse:
        body = {"detail": str(exc), "errors": validation_issues(exc.errors)}
        return reply(request, 422, body)

    @api.exception_handler(RecordNotFound)
    @api.exception_handler(PipelineNotFound)
    def _record_missing(request: HttpRequest, exc: Exception) -> HttpResponse:
        return reply(request, 404, {"detail": str(exc)})

    @api.exception_handler(ObjectDoesNotExist)
    def _missing(request: HttpRequest, exc: ObjectDoesNotExist) -> HttpResponse:
        return reply(request, 404, {"detail": str(exc) or "Not found."})

    @api.exception_handler(DjangoValidationError)
    def _django_invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        return reply(request, 422, _django_validation_detail(exc))

    @api.exception_handler(RequestDataTooBig)
    def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return reply(request, 413, {"detail": f"The request body is too large: {exc}"})

    @api.exception_handler(ValueError)
    def _bad_value(request: HttpRequest, exc: ValueError) -> HttpResponse:
        if isinstance(exc, PydanticValidationError):  # our own bug (e.g. a response schema)
            raise exc
        return reply(request, 400, {"detail": str(exc)})
