"""Batches of trigger events (the trigger's run config {"items": [...]}): one run, every node
once per event with the event's payload as `trigger`, per-item logs, and a bad event fails
alone. The triggers' sensors detect support through compile.SUPPORTS_ITEMS."""

from __future__ import annotations

import pytest

from automation.graph_factory import compile as compile_module
from crm.records.models import Record
from crm.workflows.models import Task

from .conftest import edge, loop, node, note, run_definition

pytestmark = pytest.mark.django_db(transaction=True)


def test_flag_is_set() -> None:
    assert compile_module.SUPPORTS_ITEMS is True


def test_each_event_runs_alone(tenant, editor, deals) -> None:
    from crm.records.services import record_create

    ids = [record_create(tenant=tenant, pipeline=deals, data={"amount": a}).pk
           for a in (10, 500, 900)]
    definition = {
        "nodes": [
            node("start", "trigger", {"trigger_type": "record_updated"}),
            node("big", "condition", {"rules": [{"left": "{{ trigger.record.amount }}",
                                                  "operator": ">", "right": 100}]}),
            node("mark", "record_update", {"pipeline": "deals",
                                           "record_id": "{{ trigger.record.id }}",
                                           "data": {"big": True}}),
            note("tell", "big {{ trigger.record.id }}"),
            loop(items="{{ trigger.tags }}"),
            note("tag", "tag {{ item }} of {{ trigger.record.id }}", "each"),
        ],
        "edges": [edge("start", "big"), edge("big", "mark", "true"), edge("mark", "tell"),
                  edge("start", "each"), edge("each", "tag", "item")],
    }
    events = [{"record": {"id": i, "amount": a}, "tags": ["x"] * k}
              for i, a, k in zip(ids, (10, 500, 900), (1, 0, 2), strict=True)]
    events.append({"record": {"id": 987_654, "amount": 5000}, "tags": "oops"})  # bad twice
    execution, result = run_definition(tenant, definition, items=events)
    assert result.success
    assert [Record.objects.get(pk=i).data.get("big") for i in ids] == [None, True, True]
    assert sorted(Task.objects.values_list("title", flat=True)) == sorted([
        f"big {ids[1]}", f"big {ids[2]}",
        f"tag x of {ids[0]}", f"tag x of {ids[2]}", f"tag x of {ids[2]}",
    ])
    mark = dict(execution.logs.filter(node_id="mark").values_list("item_index", "status"))
    assert mark == {1: "success", 2: "success", 3: "failed"}
    loops = dict(execution.logs.filter(node_id="each").values_list("item_index", "status"))
    assert loops == {0: "success", 1: "success", 2: "success", 3: "failed"}
    trigger_log = execution.logs.get(node_id="start")
    assert trigger_log.output_data == {"events": 4}
