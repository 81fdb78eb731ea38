"""AI nodes: prompt to text, analysis to a schema-checked object, classification to a branch.

Every AI node calls the tenant AI processor (resource "ai"), may override model, temperature
and max tokens within the tenant's limits, and reports the model and token usage it used.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from crm_resources.ai_schema import SchemaError, check_schema, validation_errors

from .base import NodeConfig, NodeError, NodeResult, NodeRunContext, NodeType

OTHER = "other"
LABEL_NAME = r"^[a-z][a-z0-9_]{0,49}$"
FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


class AIOverrides(NodeConfig):
    """Model settings a node may override within the tenant's limits."""

    model: str | None = Field(
        default=None, min_length=1, max_length=200, description="Model (default: the tenant's)"
    )
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(
        default=None, ge=1, le=200_000, description="At most the tenant's max tokens"
    )


class AIPromptConfig(AIOverrides):
    """Send a prompt to the tenant's AI model and return its answer as text."""

    prompt: str = Field(min_length=1, max_length=100_000)
    system_prompt: str = Field(default="", max_length=20_000)


class AIAnalysisConfig(AIOverrides):
    """Ask the AI model for a JSON object that satisfies a JSON Schema.

    The answer is parsed and validated; an invalid answer gets one repair attempt with the
    validation errors, then fails the node ("ai_invalid_output").
    """

    prompt: str = Field(min_length=1, max_length=100_000)
    system_prompt: str = Field(default="", max_length=20_000)
    output_schema: dict[str, Any] = Field(
        alias="schema", description="JSON Schema of the answer (an object)"
    )

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @field_validator("output_schema")
    @classmethod
    def _usable_schema(cls, schema: dict[str, Any]) -> dict[str, Any]:
        try:
            check_schema(schema)
        except SchemaError as exc:
            raise ValueError(str(exc)) from None
        if schema.get("type") != "object":
            raise ValueError('the schema must describe an object ("type": "object")')
        return schema


class ClassLabel(BaseModel):
    """One class: its name is also the node's output handle."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=LABEL_NAME, description="Lower-case handle name, e.g. hot_lead")
    description: str = Field(default="", max_length=500)


class AIClassificationConfig(AIOverrides):
    """Classify a text into one of your labels and branch on it (or on "other")."""

    text: str = Field(min_length=1, max_length=100_000, description="The text to classify")
    labels: list[ClassLabel] = Field(min_length=1, max_length=50)
    instructions: str = Field(default="", max_length=5_000, description="Extra guidance")

    @model_validator(mode="after")
    def _unique_labels(self) -> AIClassificationConfig:
        names = [label.name for label in self.labels]
        if OTHER in names:
            raise ValueError(f"{OTHER!r} is the handle for answers matching no label")
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"duplicate label names: {', '.join(duplicates)}")
        return self


def _overrides(config: AIOverrides) -> dict[str, Any]:
    return {"model": config.model, "temperature": config.temperature,
            "max_tokens": config.max_tokens}


async def _chat(ctx: NodeRunContext, config: AIOverrides, messages: list[dict[str, Any]],
                response_format: dict[str, Any] | None = None) -> Any:
    result = await ctx.resource("ai").chat(
        messages, response_format=response_format, workflow_id=ctx.workflow_id,
        execution_id=ctx.execution_id, node_id=ctx.node_id, **_overrides(config),
    )
    # Debug: the output (and so the execution log) has model and usage; an info line per
    # call would cost as much CPU as the call itself in a 10,000-item for-each.
    if ctx.log.isEnabledFor(logging.DEBUG):
        ctx.log.debug(
            f"{ctx.node_id}: model {result.model}, {result.usage['total_tokens']} tokens, "
            f"{result.attempts} attempt(s)"
        )
    return result


def _messages(system: str, user: str) -> list[dict[str, Any]]:
    head = [{"role": "system", "content": system}] if system else []
    return [*head, {"role": "user", "content": user}]


def _add(usage: dict[str, int], more: dict[str, int]) -> dict[str, int]:
    return {key: usage.get(key, 0) + more.get(key, 0) for key in more}


def parse_json(text: str) -> Any:
    """JSON from an answer, tolerating a ```json fence around it (ValueError otherwise)."""
    match = FENCE.match(text)
    return json.loads(match.group(1) if match else text)


async def run_ai_prompt(ctx: NodeRunContext, config: AIPromptConfig) -> NodeResult:
    result = await _chat(ctx, config, _messages(config.system_prompt, config.prompt))
    return NodeResult(output={
        "text": result.text, "model": result.model, "usage": result.usage,
        "finish_reason": result.finish_reason,
    })


def _analysis_problems(text: str, schema: dict[str, Any]) -> tuple[Any, list[str]]:
    try:
        data = parse_json(text)
    except ValueError as exc:
        return None, [f"the answer is not valid JSON ({exc})"]
    return data, validation_errors(data, schema)


async def run_ai_analysis(ctx: NodeRunContext, config: AIAnalysisConfig) -> NodeResult:
    schema = config.output_schema
    system = "\n\n".join(filter(None, [
        config.system_prompt,
        "Answer with only a JSON object that satisfies this JSON Schema:\n```json\n"
        + json.dumps(schema) + "\n```",
    ]))
    messages = _messages(system, config.prompt)
    response_format = {"type": "json_schema",
                       "json_schema": {"name": "analysis", "schema": schema}}
    result = await _chat(ctx, config, messages, response_format)
    usage, repaired = result.usage, False
    data, problems = _analysis_problems(result.text, schema)
    if problems:
        repaired = True
        messages += [
            {"role": "assistant", "content": result.text},
            {"role": "user", "content": "Your answer is invalid:\n- " + "\n- ".join(problems)
             + "\nReply again with only a JSON object that satisfies the schema."},
        ]
        result = await _chat(ctx, config, messages, response_format)
        usage = _add(usage, result.usage)
        data, problems = _analysis_problems(result.text, schema)
    if problems:
        raise NodeError(
            "the AI answer does not satisfy the schema after one repair: " + "; ".join(problems),
            error_type="ai_invalid_output",
        )
    return NodeResult(output={"data": data, "model": result.model, "usage": usage,
                              "repaired": repaired})


def classification_prompt(config: AIClassificationConfig) -> str:
    """The system prompt: instructions, then a `Labels:` list of `- name: description`."""
    lines = [
        "Classify the user's text into exactly one of the labels below. Answer with a JSON "
        'object {"label": <label name>, "confidence": <number from 0 to 1>}.',
        config.instructions,
        "Labels:",
        *(f"- {label.name}" + (f": {label.description}" if label.description else "")
          for label in config.labels),
    ]
    return "\n".join(line for line in lines if line)


def _label_and_confidence(text: str) -> tuple[str, float | None]:
    try:
        answer = parse_json(text)
    except ValueError:
        return text.strip().strip("\"'.").lower(), None
    if isinstance(answer, str):
        return answer.strip().lower(), None
    if not isinstance(answer, dict):
        return "", None
    confidence = answer.get("confidence")
    if isinstance(confidence, int | float) and not isinstance(confidence, bool):
        confidence = min(max(float(confidence), 0.0), 1.0)
    else:
        confidence = None
    return str(answer.get("label", "")).strip().lower(), confidence


async def run_ai_classification(ctx: NodeRunContext, config: AIClassificationConfig) -> NodeResult:
    names = [label.name for label in config.labels]
    response_format = {"type": "json_schema", "json_schema": {"name": "classification", "schema": {
        "type": "object",
        "properties": {"label": {"type": "string", "enum": names},
                       "confidence": {"type": "number", "minimum": 0, "maximum": 1}},
        "required": ["label", "confidence"],
        "additionalProperties": False,
    }}}
    messages = _messages(classification_prompt(config), config.text)
    result = await _chat(ctx, config, messages, response_format)
    label, confidence = _label_and_confidence(result.text)
    output: dict[str, Any] = {"label": label, "confidence": confidence,
                              "model": result.model, "usage": result.usage}
    if label not in names:
        output.update(label=OTHER, answer=result.text[:200])
        return NodeResult(output=output, handle=OTHER)
    return NodeResult(output=output, handle=label)


def classification_handles(config: AIClassificationConfig) -> tuple[str, ...]:
    """One handle per label, then "other"."""
    return (*(label.name for label in config.labels), OTHER)


AI = frozenset({"ai"})
NODE_TYPES = [
    NodeType(name="ai_prompt", label="AI Prompt", category="ai",
             config_model=AIPromptConfig, run=run_ai_prompt, resources=AI),
    NodeType(name="ai_analysis", label="AI Analysis", category="ai",
             config_model=AIAnalysisConfig, run=run_ai_analysis, resources=AI),
    NodeType(name="ai_classification", label="AI Classification", category="ai",
             config_model=AIClassificationConfig, run=run_ai_classification,
             handles=(OTHER,), handles_for=classification_handles, resources=AI),
]
