"""Deterministic answers to chat-completion requests, derived only from the request.

Recognised shapes:
- a JSON Schema (``response_format`` of type ``json_schema``, or a fenced ```json block in a
  system message under ``json_object``): an object built from the schema;
- a classification prompt: a system message with a ``Labels:`` section of ``- name: ...``
  lines; the label whose name or description words occur most in the user text wins, else
  one chosen by a hash of the text;
- anything else: ``[<model>] <last user message>`` cut to ``max_tokens``.

Prompt markers (anywhere in a message) steer a single request: ``[[mock:answer=TEXT]]``
answers TEXT, ``[[mock:invalid]]`` answers invalid JSON, ``[[mock:invalid_once]]`` does so
only while the conversation has no assistant turn yet (so a repair turn gets a valid answer).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from typing import Any

MARKER = re.compile(r"\[\[mock:([a-z_]+)(?:=([^\]]*))?\]\]")
LABEL_LINE = re.compile(r"^\s*-\s*([a-z][a-z0-9_]{0,49})\s*(?::\s*(.*))?$")
FENCED_JSON = re.compile(r"```json\s*(\{.*?\})\s*```", re.DOTALL)
WORD = re.compile(r"[a-z0-9]+")
INVALID_JSON = '{"this is": not valid json'


@dataclass(frozen=True)
class Answer:
    """The assistant's text and the finish reason."""

    text: str
    finish_reason: str = "stop"


def content_text(content: Any) -> str:
    """A message's content as text (string, or a list of text parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def markers(messages: list[dict[str, Any]]) -> dict[str, str]:
    """Every ``[[mock:name=value]]`` marker in the messages (later ones win)."""
    found: dict[str, str] = {}
    for message in messages:
        for name, value in MARKER.findall(content_text(message.get("content"))):
            found[name] = value
    return found


def estimate_tokens(text: str) -> int:
    """About four characters per token, at least one."""
    return max(1, math.ceil(len(text) / 4))


def _seed(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def value_for(schema: Any, seed: int, depth: int = 0) -> Any:
    """A value satisfying a (subset of) JSON Schema, chosen deterministically from `seed`."""
    if not isinstance(schema, dict) or depth > 8:
        return None
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][seed % len(schema["enum"])]
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            return value_for(schema[key][0], seed, depth + 1)
    if schema.get("allOf"):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged.update(part)
        return value_for(merged, seed, depth + 1)
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props = schema.get("properties") or {}
        return {
            name: value_for(sub, seed + index + 1, depth + 1)
            for index, (name, sub) in enumerate(props.items())
        }
    if kind == "array":
        count = max(int(schema.get("minItems", 1)), 1)
        count = min(count, int(schema.get("maxItems", count)))
        return [value_for(schema.get("items", {}), seed + i, depth + 1) for i in range(count)]
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        high = schema.get("maximum", schema.get("exclusiveMaximum", low + 100))
        value = int(low) + seed % max(int(high) - int(low), 1)
        if schema.get("exclusiveMinimum") is not None and value <= schema["exclusiveMinimum"]:
            value = math.floor(schema["exclusiveMinimum"]) + 1
        return value if kind == "integer" else float(value)
    if kind == "boolean":
        return seed % 2 == 0
    if kind == "null":
        return None
    text = f"value-{seed % 10_000}"
    low, high = int(schema.get("minLength", 0)), int(schema.get("maxLength", 64))
    return (text + "x" * max(low - len(text), 0))[: max(high, low)]


def _schema_of(body: dict[str, Any], system: str) -> dict[str, Any] | None:
    response_format = body.get("response_format") or {}
    kind = response_format.get("type")
    if kind == "json_schema":
        return (response_format.get("json_schema") or {}).get("schema") or {"type": "object"}
    if kind == "json_object":
        match = FENCED_JSON.search(system)
        if match:
            try:
                return json.loads(match.group(1))
            except ValueError:
                pass
        return {"type": "object"}
    return None


def _labels(system: str) -> list[tuple[str, str]]:
    labels: list[tuple[str, str]] = []
    in_section = False
    for line in system.splitlines():
        if line.strip().lower().startswith("labels:"):
            in_section = True
            continue
        match = LABEL_LINE.match(line) if in_section else None
        if match:
            labels.append((match.group(1), match.group(2) or ""))
        elif in_section and labels:
            break
    return labels


def classify(labels: list[tuple[str, str]], text: str) -> tuple[str, float]:
    """The label whose name/description words occur most in `text` (else by hash)."""
    words = set(WORD.findall(text.lower()))
    best, best_score = "", 0
    for name, description in labels:
        keys = set(name.split("_")) | set(WORD.findall(description.lower()))
        score = len(keys & words)
        if score > best_score:
            best, best_score = name, score
    if best:
        return best, 0.9
    return labels[_seed(text) % len(labels)][0], 0.5


def answer(body: dict[str, Any]) -> Answer:
    """The deterministic answer to a chat-completion request body."""
    messages = body.get("messages") or []
    found = markers(messages)
    system = "\n".join(
        content_text(m.get("content")) for m in messages if m.get("role") in ("system", "developer")
    )
    users = [content_text(m.get("content")) for m in messages if m.get("role") == "user"]
    user = MARKER.sub("", users[0] if users else "").strip()
    first_turn = not any(m.get("role") == "assistant" for m in messages)
    schema = _schema_of(body, system)
    if "answer" in found:
        return Answer(found["answer"])
    if "invalid" in found or ("invalid_once" in found and first_turn):
        return Answer(INVALID_JSON if schema is not None else "")
    labels = _labels(system)
    if labels:
        label, confidence = classify(labels, user)
        if schema is not None:
            return Answer(json.dumps({"label": label, "confidence": confidence}))
        return Answer(label)
    if schema is not None:
        return Answer(json.dumps(value_for(schema, _seed(user))))
    text = f"[{body.get('model', 'local')}] {MARKER.sub('', users[-1] if users else '').strip()}"
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    if isinstance(limit, int) and limit > 0 and len(text) > limit * 4:
        return Answer(text[: limit * 4], "length")
    return Answer(text)
