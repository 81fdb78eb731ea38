"""Publish-time checks of the common node settings, and the catalogue that shows them.

`data.settings` is validated by NodeSettings (an unknown key or value is graph.E003 naming the
field, e.g. settings.on_error); an edge leaving the "error" handle of a node whose on_error is
not "branch" is graph.E017; with "branch" the node's handles are its type's plus "error", and an
edge without a handle still leaves its success output. The catalogue carries the settings'
JSON Schema once, for every node type.
"""

from __future__ import annotations

import pytest

from automation.graph_factory import errors as E
from automation.graph_factory.node_settings import error_handle_clash
from automation.graph_factory.validate import validate_definition
from automation.nodes.base import ERROR_HANDLE, NodeSettings
from automation.nodes.registry import NODE_TYPES, catalogue
from crm.workflows.errors import WorkflowValidationError
from crm.workflows.models import WorkflowVersion
from crm.workflows.services import workflow_create, workflow_publish

from .conftest import edge, node, note


def _definition(settings: dict | None, handle: str | None = ERROR_HANDLE) -> dict:
    return {
        "nodes": [
            node("start", "trigger"),
            node("call", "http_request", {"url": "https://example.com"}, settings),
            node("alert", "task_notify", note("failed")),
        ],
        "edges": [edge("start", "call"), edge("call", "alert", handle)],
    }


def _issues(definition: dict) -> list[dict]:
    return [issue.as_dict() for issue in validate_definition(definition).errors]


@pytest.mark.django_db
def test_publishing_an_error_edge_without_branch_fails_with_e017(tenant):
    workflow = workflow_create(tenant=tenant, name="No branch", definition=_definition(None))
    with pytest.raises(WorkflowValidationError) as raised:
        workflow_publish(workflow=workflow)
    assert raised.value.errors == [
        {
            "code": E.E_ERROR_EDGE_NOT_BRANCH,
            "message": raised.value.errors[0]["message"],
            "node_id": "call",
            "edge_id": "call-error-alert",
            "field": "sourceHandle",
        }
    ]
    assert E.E_ERROR_EDGE_NOT_BRANCH == "graph.E017"
    assert not WorkflowVersion.objects.exists()


@pytest.mark.parametrize("on_error", ["stop", "continue"])
def test_every_policy_but_branch_refuses_an_error_edge(on_error):
    codes = {issue["code"] for issue in _issues(_definition({"on_error": on_error}))}
    assert codes == {"graph.E017"}


@pytest.mark.django_db
def test_publishing_with_branch_keeps_the_settings_in_the_version(tenant):
    definition = _definition({"on_error": "branch", "retry": {"count": 1}})
    workflow = workflow_create(tenant=tenant, name="Branch", definition=definition)
    version = workflow_publish(workflow=workflow)
    assert version.definition["nodes"][1]["data"]["settings"]["on_error"] == "branch"


@pytest.mark.parametrize(
    ("settings", "fields"),
    [
        ({"on_error": "ignore"}, {"settings.on_error"}),
        ({"retry": {"count": -1}}, {"settings.retry.count"}),
        (
            {"retry": {"count": 11, "max_delay_s": 0}},
            {"settings.retry.count", "settings.retry.max_delay_s"},
        ),
        ({"retry": {"only_transient": "maybe"}}, {"settings.retry.only_transient"}),
        ({"retry": {"backoff_base_s": -1}}, {"settings.retry.backoff_base_s"}),
        ({"retry": {"tries": 3}}, {"settings.retry.tries"}),
        ({"color": "red"}, {"settings.color"}),
    ],
)
def test_invalid_settings_are_e003_naming_the_field(settings, fields):
    issues = _issues(_definition(settings, handle=None))
    assert {issue["code"] for issue in issues} == {E.E_INVALID_CONFIG}
    assert {issue["field"] for issue in issues} == fields
    assert {issue["node_id"] for issue in issues} == {"call"}


def test_settings_must_be_an_object():
    definition = _definition(None, handle=None)
    definition["nodes"][1]["data"]["settings"] = ["branch"]
    assert {issue["code"] for issue in _issues(definition)} == {E.E_INVALID_NODE}


def test_branch_adds_the_error_handle_and_a_plain_edge_leaves_the_success_one():
    definition = _definition({"on_error": "branch"})
    definition["nodes"].append(node("ok", "task_notify", note("ok")))
    definition["edges"].append({"id": "plain", "source": "call", "target": "ok"})
    report = validate_definition(definition)
    assert report.ok, report.errors
    assert report.graph.nodes["call"].handles == ("out", "error")
    assert report.graph.nodes["call"].settings.on_error == "branch"
    handles = {e.target: e.source_handle for e in report.graph.outgoing("call")}
    assert handles == {"alert": "error", "ok": "out"}


def test_nodes_without_settings_get_the_defaults():
    report = validate_definition(_definition(None, handle=None))
    settings = report.graph.nodes["call"].settings
    assert settings == NodeSettings() and settings.on_error == "stop" and settings.retry is None
    assert report.graph.nodes["call"].handles == ("out",)


def test_branch_cannot_add_an_error_handle_a_type_already_has():
    assert error_handle_clash(("out", "error"), NodeSettings(on_error="branch"))
    assert error_handle_clash(("out", "error"), NodeSettings(on_error="continue")) is None
    assert all(ERROR_HANDLE not in node_type.handles for node_type in NODE_TYPES.values())


def test_the_catalogue_shows_the_common_settings_once_for_every_node_type():
    served = catalogue()
    schema = served["node_settings_schema"]
    assert served["error_handle"] == "error"
    assert schema["properties"]["on_error"]["enum"] == ["stop", "continue", "branch"]
    assert schema["properties"]["on_error"]["default"] == "stop"
    assert schema["additionalProperties"] is False
    retry = schema["$defs"]["RetrySettings"]["properties"]
    assert set(retry) == {"count", "backoff_base_s", "max_delay_s", "only_transient"}
    assert served["node_types"] and all(
        "on_error" not in entry["config_schema"].get("properties", {})
        for entry in served["node_types"]
    )
