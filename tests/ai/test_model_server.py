"""The local model server speaks OpenAI chat completions and answers deterministically.

Contract: the official `openai` SDK (AsyncOpenAI) gets parsed answers and lists models; a
wrong key is 401; schema requests get valid JSON built from the schema, classification
prompts a label chosen from the text (same text, same label), other prompts an echo with
usage counts; injected failures (control endpoint or prompt marker) answer 429 with
Retry-After, 500, or hang until the client gives up; per-request latency via a header;
counters (requests, in flight, max in flight, per status) and reset; the
`python -m automation.model_server` entry point serves.
"""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import openai
import pytest

from automation.model_server.answers import answer, value_for
from automation.model_server.runner import start_subprocess

from .conftest import API_KEY

SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 3},
        "score": {"type": "integer", "minimum": 1, "maximum": 10},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
        "tier": {"enum": ["gold", "silver"]},
        "ok": {"type": "boolean"},
    },
    "required": ["name", "score", "tags", "tier", "ok"],
}
LABELS_PROMPT = "Classify.\nLabels:\n- hot_lead: wants to buy now\n- churn_risk: cancel, unhappy\n"


def _post(server, body, **headers):
    return httpx.post(
        f"{server.base_url}/chat/completions", json=body, timeout=10,
        headers={"authorization": f"Bearer {API_KEY}", **headers},
    )


def test_official_sdk_gets_a_parsed_answer(model_server) -> None:
    async def call():
        client = openai.AsyncOpenAI(base_url=model_server.base_url, api_key=API_KEY)
        try:
            completion = await client.chat.completions.create(
                model="local-echo",
                messages=[{"role": "system", "content": LABELS_PROMPT},
                          {"role": "user", "content": "They want to buy now, 40 seats"}],
            )
            models = await client.models.list()
        finally:
            await client.close()
        return completion, models

    completion, models = asyncio.run(call())
    assert completion.choices[0].message.content == "hot_lead"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.model == "local-echo"
    assert completion.usage.prompt_tokens > 0 and completion.usage.completion_tokens > 0
    assert completion.usage.total_tokens == (
        completion.usage.prompt_tokens + completion.usage.completion_tokens
    )
    assert [m.id for m in models.data] == ["local-echo"]


def test_sdk_sees_a_wrong_key_as_authentication_error(model_server) -> None:
    async def call():
        client = openai.AsyncOpenAI(base_url=model_server.base_url, api_key="wrong", max_retries=0)
        try:
            await client.chat.completions.create(
                model="m", messages=[{"role": "user", "content": "hi"}]
            )
        finally:
            await client.close()

    with pytest.raises(openai.AuthenticationError):
        asyncio.run(call())


def test_sdk_parses_structured_output(model_server) -> None:
    async def call():
        client = openai.AsyncOpenAI(base_url=model_server.base_url, api_key=API_KEY)
        try:
            return await client.chat.completions.create(
                model="local-echo",
                messages=[{"role": "user", "content": "Describe the account"}],
                response_format={"type": "json_schema",
                                 "json_schema": {"name": "x", "schema": SCHEMA}},
            )
        finally:
            await client.close()

    data = json.loads(asyncio.run(call()).choices[0].message.content)
    assert set(data) == set(SCHEMA["properties"])
    assert len(data["name"]) >= 3 and 1 <= data["score"] <= 10 and len(data["tags"]) >= 2
    assert data["tier"] in ("gold", "silver") and isinstance(data["ok"], bool)


def test_answers_are_deterministic() -> None:
    body = {"model": "m", "messages": [{"role": "system", "content": LABELS_PROMPT},
                                       {"role": "user", "content": "I will cancel, unhappy"}]}
    assert answer(body).text == answer(body).text == "churn_risk"
    fallback = {"model": "m", "messages": [{"role": "system", "content": LABELS_PROMPT},
                                           {"role": "user", "content": "quarterly numbers"}]}
    assert answer(fallback).text in ("hot_lead", "churn_risk")
    assert answer(fallback).text == answer(fallback).text
    assert value_for(SCHEMA, 7) == value_for(SCHEMA, 7)
    echo = {"model": "m", "messages": [{"role": "user", "content": "hello"}]}
    assert answer(echo).text == "[m] hello"
    long = {"model": "m", "max_tokens": 2, "messages": [{"role": "user", "content": "x" * 50}]}
    assert (len(answer(long).text), answer(long).finish_reason) == (8, "length")


def test_injected_failures_and_counters(model_server) -> None:
    model_server.control(fail_next=[{"status": 429, "retry_after": 2}, 500])
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    first, second, third = _post(model_server, body), _post(model_server, body), _post(
        model_server, body
    )
    assert (first.status_code, first.headers["retry-after"]) == (429, "2")
    assert first.json()["error"]["type"] == "rate_limit_error"
    assert (second.status_code, third.status_code) == (500, 200)
    marked = {"model": "m", "messages": [{"role": "user", "content": "hi [[mock:status=503]]"}]}
    assert _post(model_server, marked).status_code == 503
    stats = model_server.stats()
    assert stats["requests"] == 4 and stats["in_flight"] == 0
    assert stats["by_status"] == {"200": 1, "429": 1, "500": 1, "503": 1}
    assert model_server.reset()["requests"] == 0


def test_hang_lasts_until_the_client_gives_up(model_server) -> None:
    model_server.control(fail_next=["hang"])
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            f"{model_server.base_url}/chat/completions", json=body, timeout=0.3,
            headers={"authorization": f"Bearer {API_KEY}"},
        )
    assert time.monotonic() - started >= 0.3
    deadline = time.monotonic() + 2
    while model_server.stats()["in_flight"] and time.monotonic() < deadline:
        time.sleep(0.02)
    assert model_server.stats()["in_flight"] == 0


def test_latency_header_and_max_in_flight(model_server) -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}

    async def burst():
        async with httpx.AsyncClient(headers={"authorization": f"Bearer {API_KEY}"}) as client:
            return await asyncio.gather(*[
                client.post(f"{model_server.base_url}/chat/completions", json=body,
                            headers={"x-mock-latency": "0.2"})
                for _ in range(5)
            ])

    started = time.monotonic()
    responses = asyncio.run(burst())
    assert all(r.status_code == 200 for r in responses)
    assert 0.2 <= time.monotonic() - started < 2
    assert model_server.stats()["max_in_flight"] == 5


def test_module_entry_point_serves() -> None:
    server = start_subprocess(latency_s=0.0)
    try:
        response = httpx.post(
            f"{server.base_url}/chat/completions", timeout=10,
            json={"model": "local-echo", "messages": [{"role": "user", "content": "ping"}]},
        )
        assert response.json()["choices"][0]["message"]["content"] == "[local-echo] ping"
        assert server.stats()["requests"] == 1
    finally:
        server.stop()
