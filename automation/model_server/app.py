"""The local model server: OpenAI chat completions with latency, error injection and counters.

Routes: POST /v1/chat/completions, GET /v1/models, GET /_stats, POST /_reset, POST /_control.
Per request, the ``x-mock-latency`` header (seconds) overrides the server's latency, and the
prompt markers ``[[mock:status=NNN]]`` / ``[[mock:hang]]`` fail that request (see answers.py
for the markers that steer the answer). ``POST /_control`` takes
``{"fail_next": [429, {"status": 429, "retry_after": 2}, 500, "hang"], "latency": 0.05,
"hang_s": 300}``: each entry fails one upcoming chat request, in order.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .answers import answer, content_text, estimate_tokens, markers

DEFAULT_MODELS = ("local-echo",)


@dataclass
class Failure:
    """One injected failure: an HTTP status (with Retry-After for 429) or a hang."""

    status: int = 500
    retry_after: float | None = None
    hang: bool = False

    @classmethod
    def parse(cls, entry: Any) -> Failure:
        if entry == "hang" or (isinstance(entry, dict) and entry.get("hang")):
            return cls(hang=True)
        if isinstance(entry, dict):
            status = int(entry.get("status", 500))
            retry_after = entry.get("retry_after", 1 if status == 429 else None)
            return cls(status=status, retry_after=retry_after)
        status = int(entry)
        return cls(status=status, retry_after=1 if status == 429 else None)


@dataclass
class ServerState:
    """Settings and counters of one server (one event loop, so no locks needed)."""

    latency_s: float = 0.05
    hang_s: float = 300.0
    api_key: str | None = None
    models: tuple[str, ...] = DEFAULT_MODELS
    fail_next: deque[Failure] = field(default_factory=deque)
    requests: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    by_status: Counter[int] = field(default_factory=Counter)
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def stats(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "completed": sum(self.by_status.values()),
            "in_flight": self.in_flight,
            "max_in_flight": self.max_in_flight,
            "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "latency_s": self.latency_s,
            "pending_failures": len(self.fail_next),
        }

    def reset(self) -> None:
        self.fail_next.clear()
        self.requests = self.max_in_flight = self.prompt_tokens = self.completion_tokens = 0
        self.max_in_flight = self.in_flight
        self.by_status.clear()


def _error(status: int, message: str, kind: str, **headers: str) -> JSONResponse:
    body = {"error": {"message": message, "type": kind, "param": None, "code": None}}
    return JSONResponse(body, status_code=status, headers=headers)


def _injected(state: ServerState, body: dict[str, Any]) -> Failure | None:
    found = markers(body.get("messages") or [])
    if "hang" in found:
        return Failure(hang=True)
    if "status" in found:
        return Failure.parse(found["status"])
    return state.fail_next.popleft() if state.fail_next else None


async def _hang(request: Request, seconds: float) -> None:
    """Answer nothing until the client gives up (or `seconds` pass)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not await request.is_disconnected():
        await asyncio.sleep(0.02)


def _completion(body: dict[str, Any]) -> dict[str, Any]:
    reply = answer(body)
    prompt = "".join(content_text(m.get("content")) for m in body.get("messages") or [])
    prompt_tokens, completion_tokens = estimate_tokens(prompt), estimate_tokens(reply.text)
    usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
             "total_tokens": prompt_tokens + completion_tokens}
    digest = hashlib.sha1(json.dumps(body, sort_keys=True).encode()).hexdigest()[:24]
    return {
        "id": f"chatcmpl-{digest}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model") or DEFAULT_MODELS[0],
        "system_fingerprint": "local-model-server",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": reply.text, "refusal": None},
            "finish_reason": reply.finish_reason,
            "logprobs": None,
        }],
        "usage": usage,
    }


async def _respond(state: ServerState, request: Request) -> Response:
    if state.api_key and request.headers.get("authorization") != f"Bearer {state.api_key}":
        return _error(401, "invalid or missing API key", "invalid_request_error")
    try:
        body = json.loads(await request.body())
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            raise ValueError("messages must be a list")
    except ValueError as exc:
        return _error(400, f"invalid request body: {exc}", "invalid_request_error")
    if body.get("stream"):
        return _error(400, "streaming is not supported by the local model server",
                      "invalid_request_error")
    latency = float(request.headers.get("x-mock-latency", state.latency_s))
    failure = _injected(state, body)
    if failure is not None and failure.hang:
        await _hang(request, state.hang_s)
        return _error(504, "hung", "server_error")
    if latency > 0:
        await asyncio.sleep(latency)
    if failure is not None:
        headers = {"retry-after": f"{failure.retry_after:g}"} if failure.retry_after else {}
        kind = "rate_limit_error" if failure.status == 429 else "server_error"
        return _error(failure.status, f"injected {failure.status}", kind, **headers)
    completion = _completion(body)
    state.prompt_tokens += completion["usage"]["prompt_tokens"]
    state.completion_tokens += completion["usage"]["completion_tokens"]
    return JSONResponse(completion)


def create_app(state: ServerState | None = None) -> Starlette:
    """The ASGI app; `app.state.model_server` is the ServerState it uses."""
    state = state or ServerState()

    async def chat_completions(request: Request) -> Response:
        state.requests += 1
        state.in_flight += 1
        state.max_in_flight = max(state.max_in_flight, state.in_flight)
        try:
            response = await _respond(state, request)
        finally:
            state.in_flight -= 1
        state.by_status[response.status_code] += 1
        return response

    async def models(request: Request) -> Response:
        data = [{"id": m, "object": "model", "created": 0, "owned_by": "local"}
                for m in state.models]
        return JSONResponse({"object": "list", "data": data})

    async def stats(request: Request) -> Response:
        return JSONResponse(state.stats())

    async def reset(request: Request) -> Response:
        state.reset()
        return JSONResponse(state.stats())

    async def control(request: Request) -> Response:
        try:
            body = json.loads(await request.body() or b"{}")
            failures = [Failure.parse(entry) for entry in body.get("fail_next", [])]
            if "latency" in body:
                state.latency_s = float(body["latency"])
            if "hang_s" in body:
                state.hang_s = float(body["hang_s"])
        except (ValueError, TypeError, AttributeError) as exc:
            return _error(400, f"invalid control body: {exc}", "invalid_request_error")
        state.fail_next.extend(failures)
        return JSONResponse(state.stats())

    app = Starlette(routes=[
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/v1/models", models, methods=["GET"]),
        Route("/_stats", stats, methods=["GET"]),
        Route("/_reset", reset, methods=["POST"]),
        Route("/_control", control, methods=["POST"]),
    ])
    app.state.model_server = state
    return app
