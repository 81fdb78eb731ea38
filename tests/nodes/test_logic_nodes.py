"""Condition and wait_delay nodes.

Contract: condition evaluates every rule with the shared operators, combines them with
all/any, outputs {"result", "matched"} on the "true" or "false" handle, and turns an
impossible comparison into a NodeError ("condition_error"); wait_delay waits the given
seconds and outputs {"waited_s"}.
"""

from __future__ import annotations

import time

import pytest

from automation.nodes.base import NodeError, NodeRunContext, TenantRef

from .conftest import run_node


def ctx(node_type: str) -> NodeRunContext:
    return NodeRunContext(
        node_id="n", node_type=node_type, label=node_type, tenant=TenantRef(1, "acme"),
        execution_id=None, workflow_id=None, attempt=1,
    )


def condition(rules: list[dict], combine: str = "all"):
    return run_node(ctx("condition"), {"rules": rules, "combine": combine})


@pytest.mark.parametrize(
    ("left", "operator", "right", "expected"),
    [
        (5, ">", 3, True),
        (5, "<=", 3, False),
        ("won", "==", "won", True),
        ("won", "!=", "won", False),
        ("Acme Corp", "contains", "acme", True),
        (["a", "b"], "not_contains", "c", True),
        ("deal-7", "starts_with", "deal", True),
        ("deal-7", "ends_with", "8", False),
        (None, "is_empty", None, True),
        ("", "is_empty", None, True),
        ([], "is_empty", None, True),
        ({}, "is_not_empty", None, False),
        ("x", "is_not_empty", None, True),
        (0, "is_empty", None, False),
    ],
)
def test_operators(left, operator, right, expected) -> None:
    result = condition([{"left": left, "operator": operator, "right": right}])
    assert result.output == {"result": expected, "matched": [0] if expected else []}
    assert result.handle == ("true" if expected else "false")


def test_all_and_any() -> None:
    rules = [
        {"left": 10, "operator": ">", "right": 5},
        {"left": "a", "operator": "==", "right": "b"},
        {"left": "x", "operator": "is_not_empty"},
    ]
    assert condition(rules, "all").output == {"result": False, "matched": [0, 2]}
    any_result = condition(rules, "any")
    assert any_result.output == {"result": True, "matched": [0, 2]}
    assert any_result.handle == "true"


def test_incomparable_values_fail() -> None:
    with pytest.raises(NodeError) as failed:
        condition([{"left": "x", "operator": "==", "right": "x"},
                   {"left": "abc", "operator": ">", "right": 3}])
    assert failed.value.error_type == "condition_error"
    assert str(failed.value).startswith("rule 2:")


def test_wait_delay_waits() -> None:
    started = time.monotonic()
    result = run_node(ctx("wait_delay"), {"seconds": 0.2})
    assert time.monotonic() - started >= 0.2
    assert result.output == {"waited_s": 0.2}
