"""For-each runs for real (Dagster instance, CRM database).

Contracts: results are collected in item order whatever the chunking, with per-item status
and every body node's output; a branch inside the body is taken per item (and a merge runs once
per item); `items` that is not a list fails the for_each with an error naming what it got;
on_item_error=continue reports failed items and goes on, =fail fails the chunk's step only;
a loop inside a body runs every inner iteration for every outer item, results nested.
"""

from __future__ import annotations

import pytest

from crm.workflows.models import Task

from .conftest import edge, loop, node, note, run_definition

pytestmark = pytest.mark.django_db(transaction=True)


def _titles() -> list[str]:
    return sorted(Task.objects.values_list("title", flat=True))


def _branching() -> dict:
    return {
        "nodes": [
            node("start", "trigger"),
            loop(batch_size=2, max_concurrency=3),
            node("big", "condition", {"rules": [{"left": "{{ item }}", "operator": ">",
                                                  "right": 2}]}, parent="each"),
            note("t_big", "big {{ item }} #{{ index }}", "each"),
            note("t_small", "small {{ item }}", "each"),
            note("merge", "merge {{ index }} {{ nodes.big.result }}", "each"),
            note("after", "{{ nodes.each.count }} {{ nodes.each.succeeded }}"),
        ],
        "edges": [
            edge("start", "each"), edge("each", "big", "item"),
            edge("big", "t_big", "true"), edge("big", "t_small", "false"),
            edge("t_big", "merge"), edge("t_small", "merge"), edge("each", "after", "done"),
        ],
    }


def test_results_in_item_order_with_per_item_branches(tenant, editor) -> None:
    execution, result = run_definition(tenant, _branching(), {"items": [5, 1, 4, 2, 3]})
    assert result.success
    output = result.output_for_node("each__collect", "done")["nodes"]["each"]
    assert [entry["item"] for entry in output["items"]] == [5, 1, 4, 2, 3]
    assert [entry["index"] for entry in output["items"]] == [0, 1, 2, 3, 4]
    assert (output["count"], output["succeeded"], output["failed"]) == (5, 5, 0)
    assert {tuple(sorted(e["outputs"])) for e in output["items"]} == {
        ("big", "merge", "t_big"), ("big", "merge", "t_small")
    }
    assert output["items"][1]["outputs"]["big"]["result"] is False
    assert _titles() == sorted([
        "big 5 #0", "small 1", "big 4 #2", "small 2", "big 3 #4", "5 5",
        *(f"merge {i} {'True' if v > 2 else 'False'}" for i, v in enumerate([5, 1, 4, 2, 3])),
    ])
    merge_logs = execution.logs.filter(node_id="merge")
    assert sorted(merge_logs.values_list("item_index", flat=True)) == [0, 1, 2, 3, 4]
    loop_log = execution.logs.get(node_id="each")
    assert (loop_log.status, loop_log.output_data) == (
        "success", {"count": 5, "succeeded": 5, "failed": 0}
    )
    steps = {e.step_key for e in result.all_events if e.event_type_value == "STEP_SUCCESS"}
    assert {"big[chunk_0]", "big[chunk_1]", "big[chunk_2]", "each__collect"} <= steps


def test_empty_list_still_goes_on(tenant, editor) -> None:
    execution, result = run_definition(tenant, _branching(), {"items": []})
    assert result.success
    assert _titles() == ["0 0"]


def test_items_not_a_list_is_a_node_error_naming_the_type(tenant, editor) -> None:
    execution, result = run_definition(tenant, _branching(), {"items": {"a": 1}})
    assert not result.success and execution.status == "failed"
    log = execution.logs.get(node_id="each")
    assert log.error_details["error_type"] == "items_not_a_list"
    assert "must be a list, got object" in log.error_details["message"]
    assert not Task.objects.exists()


def _updates(on_item_error: str) -> dict:
    return {
        "nodes": [
            node("start", "trigger"),
            loop(batch_size=2, on_item_error=on_item_error),
            node("touch", "record_update", {"pipeline": "deals", "record_id": "{{ item }}",
                                            "data": {"seen": "{{ index }}"}}, parent="each"),
            note("after", "{{ nodes.each.failed }} failed"),
        ],
        "edges": [edge("start", "each"), edge("each", "touch", "item"),
                  edge("each", "after", "done")],
    }


def _deals(deals, count: int) -> list[int]:
    from crm.records.services import record_create

    return [record_create(tenant=deals.tenant, pipeline=deals, data={"n": i}).pk
            for i in range(count)]


def test_on_item_error_continue_reports_failed_items(tenant, editor, deals) -> None:
    ids = _deals(deals, 3)
    items = [ids[0], 999_999, ids[1], ids[2]]
    execution, result = run_definition(tenant, _updates("continue"), {"items": items})
    assert result.success
    output = result.output_for_node("each__collect", "done")["nodes"]["each"]
    assert [e["status"] for e in output["items"]] == ["success", "failed", "success", "success"]
    assert output["items"][1]["error"]["error_type"] == "record_not_found"
    assert _titles() == ["1 failed"]
    from crm.records.models import Record

    assert [Record.objects.get(pk=i).data["seen"] for i in ids] == [0, 2, 3]


def test_on_item_error_fail_fails_only_that_chunk(tenant, editor, deals) -> None:
    ids = _deals(deals, 3)
    items = [ids[0], 999_999, ids[1], ids[2]]  # chunks: [0, 1] fails, [2, 3] succeeds
    execution, result = run_definition(tenant, _updates("fail"), {"items": items})
    assert not result.success and execution.status == "failed"
    failed = {e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"}
    assert failed == {"touch[chunk_0]"}
    done = {e.step_key for e in result.all_events if e.event_type_value == "STEP_SUCCESS"}
    assert "touch[chunk_1]" in done and "each__collect" not in done
    loop_log = execution.logs.get(node_id="each")
    assert loop_log.status == "failed" and loop_log.error_details["items"] == [1]
    assert not Task.objects.exists()


def test_nested_loops_run_every_inner_iteration(tenant, editor) -> None:
    definition = {
        "nodes": [
            node("start", "trigger"),
            loop(batch_size=2, max_concurrency=2),
            node("inner", "for_each", {"items": "{{ item.values }}", "max_concurrency": 2},
                 parent="each"),
            note("t", "{{ nodes.outer_note.task_id > 0 }} o{{ nodes.label.result }}-{{ item }}",
                 "inner"),
            node("label", "condition", {"rules": [{"left": "{{ item.name }}",
                                                    "operator": "is_not_empty"}]}, parent="each"),
            note("outer_note", "outer {{ item.name }}", "each"),
        ],
        "edges": [
            edge("start", "each"), edge("each", "label", "item"),
            edge("label", "outer_note", "true"), edge("outer_note", "inner"),
            edge("inner", "t", "item"),
        ],
    }
    outer = [{"name": f"o{n}", "values": list(range(n))} for n in (3, 0, 1, 4, 2)]
    execution, result = run_definition(tenant, definition, {"items": outer})
    assert result.success
    output = result.output_for_node("each__collect", "done")["nodes"]["each"]
    nested = [e["outputs"]["inner"] for e in output["items"]]
    assert [n["count"] for n in nested] == [3, 0, 1, 4, 2]
    assert [[i["item"] for i in n["items"]] for n in nested] == [
        list(range(k)) for k in (3, 0, 1, 4, 2)
    ]
    inner_titles = [t for t in _titles() if not t.startswith("outer")]
    assert len(inner_titles) == 10 and all(t.startswith("True oTrue-") for t in inner_titles)
    paths = sorted(execution.logs.filter(node_id="t").values_list(
        "execution_details__item", flat=True))
    assert paths == sorted(f"{o}/{i}" for o, k in enumerate((3, 0, 1, 4, 2)) for i in range(k))
