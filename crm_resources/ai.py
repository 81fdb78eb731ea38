"""The tenant AI processor: OpenAI-compatible chat completions with the tenant's settings.

Retries 429, 5xx, timeouts and broken connections (exponential backoff with jitter, never
sooner than Retry-After), bounds requests in flight to the tenant's max_concurrent_requests,
refuses a call that could exceed the monthly token budget before sending it, and records the
tokens of every call per tenant, workflow, execution and node (crm.ai). The API key is held
only in memory: it is never logged, put in an error, or returned.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
import dagster as dg
from pydantic import Field

from automation.nodes.base import NodeError, TenantRef

from .ai_loop import (
    MAX_ANSWER_BYTES,
    AnswerTooLarge,
    ClientPool,
    LoopTenantState,
    UsageRow,
    broken_connection,
    loop_state,
)
from .ai_retry import Retryable, backoff_s, redact, retry_after_s, short_reason
from .tenancy import load_tenant

log = logging.getLogger(__name__)
CHARS_PER_TOKEN = 4


@dataclass(frozen=True)
class ChatResult:
    """The assistant's text, the model that answered, token usage and attempts made."""

    text: str
    model: str
    usage: dict[str, int]
    attempts: int
    finish_reason: str = "stop"


@dataclass(frozen=True)
class TenantAISettingsData:
    """A tenant's AI settings, read once per step; the key stays in memory only."""

    tenant_id: int
    tenant_slug: str
    base_url: str
    model: str
    temperature: float
    max_tokens: int
    request_timeout_s: float
    max_concurrent_requests: int
    monthly_token_budget: int
    allowed_models: frozenset[str] = frozenset()
    api_key: str = field(default="", repr=False)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long a call is retried inside one step."""

    max_attempts: int = 4
    backoff_base_s: float = 0.5
    backoff_max_s: float = 8.0
    retry_after_max_s: float = 60.0


def estimate_tokens(messages: list[dict[str, Any]]) -> int:
    """About four characters per token, plus a few per message."""
    chars = sum(len(str(m.get("content") or "")) for m in messages)
    return chars // CHARS_PER_TOKEN + 4 * len(messages) + 1


class TenantAIClient:
    """Chat completions for one tenant (create with AIResource.for_tenant)."""

    def __init__(self, settings: TenantAISettingsData, policy: RetryPolicy, refresh_s: float):
        self.settings = settings
        self._policy = policy
        self._refresh_s = refresh_s

    def __repr__(self) -> str:
        s = self.settings
        return f"TenantAIClient(tenant={s.tenant_slug!r}, model={s.model!r})"

    def resolve(
        self, model: str | None, temperature: float | None, max_tokens: int | None
    ) -> tuple[str, float, int]:
        """The call's model, temperature and max tokens: node overrides within tenant limits."""
        s = self.settings
        model = model or s.model
        if model != s.model and s.allowed_models and model not in s.allowed_models:
            raise NodeError(
                f"model {model!r} is not allowed for this tenant "
                f"(allowed: {', '.join(sorted(s.allowed_models | {s.model}))})",
                error_type="ai_override_not_allowed",
            )
        temperature = s.temperature if temperature is None else temperature
        if not 0 <= temperature <= 2:
            raise NodeError(
                f"temperature must be between 0 and 2, got {temperature:g}",
                error_type="ai_override_not_allowed",
            )
        max_tokens = s.max_tokens if max_tokens is None else max_tokens
        if not 1 <= max_tokens <= s.max_tokens:
            raise NodeError(
                f"max_tokens must be between 1 and the tenant's limit {s.max_tokens}, "
                f"got {max_tokens}",
                error_type="ai_override_not_allowed",
            )
        return model, temperature, max_tokens

    async def chat(
        self,
        messages: list[dict[str, Any]],
        *,
        model: str | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        response_format: dict[str, Any] | None = None,
        workflow_id: str | None = None,
        execution_id: str | None = None,
        node_id: str = "",
    ) -> ChatResult:
        """One chat completion; NodeError on refusal or failure (transient when retryable)."""
        model, temperature, max_tokens = self.resolve(model, temperature, max_tokens)
        s = self.settings
        state = await loop_state(
            s.tenant_id, max_concurrent=s.max_concurrent_requests,
            budget=s.monthly_token_budget, refresh_s=self._refresh_s,
        )
        await state.ledger.refresh(state.recorder)
        estimate = estimate_tokens(messages) + max_tokens
        state.ledger.reserve(estimate)
        payload: dict[str, Any] = {
            "model": model, "messages": messages,
            "temperature": temperature, "max_tokens": max_tokens,
        }
        if response_format is not None:
            payload["response_format"] = response_format
        try:
            body, attempts = await self._send(state, payload)
        finally:
            state.ledger.release(estimate)
        result = self._result(body, model, attempts, messages)
        await state.recorder.record(self._usage_row(result, workflow_id, execution_id, node_id))
        return result

    async def _send(self, state: LoopTenantState, payload: dict[str, Any]) -> tuple[Any, int]:
        policy, s = self._policy, self.settings
        url = s.base_url.rstrip("/") + "/chat/completions"
        headers = {"content-type": "application/json"}
        if s.api_key:
            headers["authorization"] = f"Bearer {s.api_key}"
        failure = Retryable("no attempt made", "ai_unavailable")
        for attempt in range(1, policy.max_attempts + 1):
            async with state.semaphore:
                failure_or_body = await self._attempt(state.client, url, headers, payload)
            if not isinstance(failure_or_body, Retryable):
                return failure_or_body, attempt
            failure = failure_or_body
            if attempt == policy.max_attempts:
                break
            wait = failure.retry_after_s
            if wait is not None and wait > policy.retry_after_max_s:
                break
            delay = backoff_s(
                attempt, base_s=policy.backoff_base_s, max_s=policy.backoff_max_s,
                retry_after=wait,
            )
            log.warning(
                "AI call for tenant %s: %s (attempt %d of %d), retrying in %.2fs",
                s.tenant_slug, failure.reason, attempt, policy.max_attempts, delay,
            )
            await asyncio.sleep(delay)
        raise NodeError(
            f"AI call failed after {attempt} attempt(s): {failure.reason}",
            error_type=failure.error_type, transient=True,
        )

    async def _attempt(
        self, client: ClientPool, url: str, headers: dict[str, str], payload: Any
    ) -> Any:
        """The parsed JSON body of a 200, a Retryable, or NodeError for a refused request."""
        timeout = self.settings.request_timeout_s
        try:
            async with asyncio.timeout(timeout):
                response = await client.post(url, json=payload, headers=headers, timeout_s=timeout)
        except AnswerTooLarge:
            raise NodeError(
                f"the AI service's answer is larger than {MAX_ANSWER_BYTES // 2**20} MiB",
                error_type="ai_bad_response",
            ) from None
        except (TimeoutError, aiohttp.ClientError) as exc:
            broken = broken_connection(exc)
            if broken is None:
                return Retryable(f"no answer within {timeout:g}s", "ai_timeout")
            return Retryable(f"connection failed ({broken})", "ai_unavailable")
        if response.status_code == 429 or response.status_code >= 500:
            return Retryable(
                short_reason(response, self.settings.api_key),
                "ai_rate_limited" if response.status_code == 429 else "ai_unavailable",
                retry_after_s(response.headers),
            )
        if response.status_code != 200:
            raise NodeError(
                f"AI request refused: {short_reason(response, self.settings.api_key)}",
                error_type="ai_request_refused",
            )
        try:
            return response.json()
        except ValueError:
            raise NodeError("the AI service answered with invalid JSON",
                            error_type="ai_bad_response") from None

    def _result(
        self, body: Any, model: str, attempts: int, messages: list[dict[str, Any]]
    ) -> ChatResult:
        try:
            choice = body["choices"][0]
            text = choice["message"].get("content") or ""
            usage = body.get("usage") or {}
            prompt = int(usage.get("prompt_tokens") or estimate_tokens(messages))
            completion = int(usage.get("completion_tokens") or len(text) // CHARS_PER_TOKEN + 1)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError):
            raise NodeError("the AI service's answer has no message",
                            error_type="ai_bad_response") from None
        return ChatResult(
            text=redact(str(text), self.settings.api_key),
            model=str(body.get("model") or model),
            usage={"prompt_tokens": prompt, "completion_tokens": completion,
                   "total_tokens": prompt + completion},
            attempts=attempts,
            finish_reason=str(choice.get("finish_reason") or "stop"),
        )

    def _usage_row(
        self, result: ChatResult, workflow_id: str | None, execution_id: str | None, node_id: str
    ) -> UsageRow:
        from crm.ai.services import UsageEntry

        entry = UsageEntry(
            tenant_id=self.settings.tenant_id,
            workflow_id=str(workflow_id or ""),
            execution_id=str(execution_id or ""),
            node_id=node_id,
            model=result.model,
            prompt_tokens=result.usage["prompt_tokens"],
            completion_tokens=result.usage["completion_tokens"],
            attempts=result.attempts,
            created_at=datetime.now(UTC),
        )
        return UsageRow(entry, result.usage["total_tokens"])


def load_ai_settings(tenant: TenantRef) -> TenantAISettingsData:
    """The tenant's AI settings with the key decrypted into memory (sync; ORM)."""
    from crm.ai.selectors import ai_allowed_models
    from crm.tenants.crypto import decrypt
    from crm.tenants.errors import AISettingsMissing
    from crm.tenants.selectors import ai_settings_get

    row = load_tenant(tenant)
    try:
        ai = ai_settings_get(tenant=row)
    except AISettingsMissing:
        raise NodeError(
            f"AI is not set up for tenant {tenant.slug!r}; add its AI settings in the admin",
            error_type="ai_not_configured",
        ) from None
    try:
        api_key = decrypt(ai.api_key_encrypted) if ai.api_key_encrypted else ""
    except ValueError:
        raise NodeError("the tenant's AI key cannot be decrypted with the configured key",
                        error_type="ai_key_unreadable") from None
    return TenantAISettingsData(
        tenant_id=row.pk, tenant_slug=row.slug, base_url=ai.base_url, model=ai.model,
        temperature=ai.temperature, max_tokens=ai.max_tokens,
        request_timeout_s=ai.request_timeout_s,
        max_concurrent_requests=max(1, ai.max_concurrent_requests),
        monthly_token_budget=ai.monthly_token_budget,
        allowed_models=ai_allowed_models(tenant_id=row.pk), api_key=api_key,
    )


class AIResource(dg.ConfigurableResource):
    """The tenant AI processor: OpenAI-compatible chat completions with each tenant's settings."""

    max_attempts: int = Field(default=4, ge=1, le=10, description="Attempts per call in a step")
    backoff_base_s: float = Field(default=0.5, ge=0, le=60, description="First retry delay")
    backoff_max_s: float = Field(default=8.0, ge=0, le=300, description="Longest retry delay")
    retry_after_max_s: float = Field(
        default=60.0, ge=0, description="A longer Retry-After fails the step (Dagster retries)"
    )
    budget_refresh_s: float = Field(
        default=30.0, ge=0, description="How often a step re-reads the month's token usage"
    )

    def for_tenant(self, tenant: TenantRef) -> TenantAIClient:
        """A client with the tenant's settings (read now, outside any event loop)."""
        policy = RetryPolicy(
            self.max_attempts, self.backoff_base_s, self.backoff_max_s, self.retry_after_max_s
        )
        return TenantAIClient(load_ai_settings(tenant), policy, self.budget_refresh_s)
