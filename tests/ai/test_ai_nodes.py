"""The AI node types against the real local model server.

Contract: ai_prompt returns text, model and usage; ai_analysis returns a schema-valid object,
repairs an invalid first answer once (usage of both calls, "repaired": true) and fails with
"ai_invalid_output" when the repair is invalid too; ai_classification goes out on the chosen
label's handle (deterministic for the same text) or on "other" for an answer that is no
label; configs are checked (label names, unique, "other" reserved, schema is an object
schema); each node's usage is recorded under its node id.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from automation.nodes.base import NodeError
from automation.nodes.registry import get_node_type
from crm.ai.models import AIUsage

from .conftest import make_ctx, run_node

pytestmark = pytest.mark.django_db(transaction=True)

SCHEMA = {
    "type": "object",
    "properties": {
        "sentiment": {"enum": ["positive", "neutral", "negative"]},
        "score": {"type": "integer", "minimum": 0, "maximum": 100},
        "summary": {"type": "string", "maxLength": 40},
    },
    "required": ["sentiment", "score", "summary"],
    "additionalProperties": False,
}
LABELS = [
    {"name": "hot_lead", "description": "wants to buy, budget approved"},
    {"name": "support", "description": "bug, broken, help"},
]


def test_prompt(ai_tenant, model_server) -> None:
    result = run_node(make_ctx(ai_tenant, "ai_prompt"), {
        "prompt": "Summarise deal 7", "system_prompt": "Be brief.", "temperature": 0.5,
    })
    assert result.handle == "out"
    assert result.output["text"] == "[local-echo] Summarise deal 7"
    assert result.output["model"] == "local-echo"
    assert result.output["usage"]["total_tokens"] > 0
    row = AIUsage.objects.get(tenant=ai_tenant)
    assert (row.workflow_id, row.execution_id, row.node_id) == ("wf-1", "exec-1", "ai_1")
    assert row.total_tokens == result.output["usage"]["total_tokens"]


def test_analysis_valid_first_time(ai_tenant, model_server) -> None:
    result = run_node(make_ctx(ai_tenant, "ai_analysis"), {
        "prompt": "Analyse: great call", "schema": SCHEMA,
    })
    data = result.output["data"]
    assert set(data) == {"sentiment", "score", "summary"}
    assert data["sentiment"] in SCHEMA["properties"]["sentiment"]["enum"]
    assert 0 <= data["score"] <= 100 and len(data["summary"]) <= 40
    assert result.output["repaired"] is False and model_server.stats()["requests"] == 1
    again = run_node(make_ctx(ai_tenant, "ai_analysis"), {
        "prompt": "Analyse: great call", "schema": SCHEMA,
    })
    assert again.output["data"] == data


def test_analysis_repairs_once(ai_tenant, model_server) -> None:
    result = run_node(make_ctx(ai_tenant, "ai_analysis"), {
        "prompt": "Analyse [[mock:invalid_once]]", "schema": SCHEMA,
    })
    assert result.output["repaired"] is True
    assert set(result.output["data"]) == {"sentiment", "score", "summary"}
    stats = model_server.stats()
    assert stats["requests"] == 2
    assert result.output["usage"]["prompt_tokens"] == stats["prompt_tokens"]
    assert AIUsage.objects.filter(node_id="ai_1").count() == 2


def test_analysis_invalid_after_repair(ai_tenant, model_server) -> None:
    with pytest.raises(NodeError) as failed:
        run_node(make_ctx(ai_tenant, "ai_analysis"), {
            "prompt": "Analyse [[mock:invalid]]", "schema": SCHEMA,
        })
    assert (failed.value.error_type, failed.value.transient) == ("ai_invalid_output", False)
    assert "not valid JSON" in str(failed.value)
    assert model_server.stats()["requests"] == 2


def test_analysis_schema_violation_is_reported(ai_tenant, model_server) -> None:
    with pytest.raises(NodeError) as failed:
        run_node(make_ctx(ai_tenant, "ai_analysis"), {
            "prompt": '[[mock:answer={"sentiment": "angry", "score": 7}]]', "schema": SCHEMA,
        })
    assert failed.value.error_type == "ai_invalid_output"
    message = str(failed.value)
    assert "'summary' is a required property" in message and "$['sentiment']" in message


def test_classification_picks_label_and_handle(ai_tenant, model_server) -> None:
    config = {"text": "The app is broken, please help", "labels": LABELS}
    first = run_node(make_ctx(ai_tenant, "ai_classification"), config)
    second = run_node(make_ctx(ai_tenant, "ai_classification"), config)
    assert (first.handle, first.output["label"]) == ("support", "support")
    assert first.output["confidence"] == 0.9 and first.output["model"] == "local-echo"
    assert first.output["usage"]["total_tokens"] > 0
    assert second.output == first.output
    hot = run_node(make_ctx(ai_tenant, "ai_classification"),
                   {"text": "Budget approved, they want to buy", "labels": LABELS})
    assert hot.handle == "hot_lead"


def test_classification_unknown_answer_goes_to_other(ai_tenant, model_server) -> None:
    result = run_node(make_ctx(ai_tenant, "ai_classification"), {
        "text": "[[mock:answer=banana]]", "labels": LABELS,
    })
    assert (result.handle, result.output["label"]) == ("other", "other")
    assert result.output["answer"] == "banana"


def test_classification_handles_and_config_checks() -> None:
    node_type = get_node_type("ai_classification")
    config = node_type.config_model.model_validate({"text": "x", "labels": LABELS})
    assert node_type.output_handles(config) == ("hot_lead", "support", "other")
    for labels in (
        [{"name": "Hot"}], [{"name": "a"}, {"name": "a"}], [{"name": "other"}], [],
        [{"name": "x" * 51}],
    ):
        with pytest.raises(ValidationError):
            node_type.config_model.model_validate({"text": "x", "labels": labels})


def test_analysis_config_checks() -> None:
    model = get_node_type("ai_analysis").config_model
    for schema in ({"type": "array"}, {"type": "object", "properties": {"a": {"type": "nope"}}}):
        with pytest.raises(ValidationError):
            model.model_validate({"prompt": "x", "schema": schema})
    with pytest.raises(ValidationError):
        model.model_validate({"prompt": "x", "schema": SCHEMA, "temperature": 3})
    entry = get_node_type("ai_analysis").catalogue_entry()
    assert entry["category"] == "ai" and entry["resources"] == ["ai"]
    assert "schema" in entry["config_schema"]["properties"]


def test_override_beyond_tenant_limit_fails_the_node(ai_tenant, model_server) -> None:
    with pytest.raises(NodeError) as failed:
        run_node(make_ctx(ai_tenant, "ai_prompt"), {"prompt": "x", "max_tokens": 10_000})
    assert failed.value.error_type == "ai_override_not_allowed"
    assert model_server.stats()["requests"] == 0
