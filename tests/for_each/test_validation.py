"""Publish-time rules of for-each groups, matched on their stable codes: a parent must be a
for_each (E018), edges cross a group's boundary only through 'item' (in) and 'done'/'error'
(out) (E019, E020), the trigger stays outside (E021), `item`/`index` exist only inside a group
(E022), and a body cannot read its own for-each's output (E007)."""

from __future__ import annotations

from automation.graph_factory import errors as E
from automation.graph_factory.validate import validate_definition

from .conftest import edge, loop, node, note


def _codes(nodes: list, edges: list) -> set[tuple[str, str | None]]:
    report = validate_definition({"nodes": nodes, "edges": edges})
    return {(issue.code, issue.edge_id or issue.node_id) for issue in report.errors}


START = node("start", "trigger")


def test_a_valid_group_compiles_its_body() -> None:
    report = validate_definition({
        "nodes": [START, loop(), note("a", "{{ item }} {{ index }}", "each"), note("b", "x")],
        "edges": [edge("start", "each"), edge("each", "a", "item"), edge("each", "b", "done")],
    })
    assert report.ok and report.graph.nodes["a"].parent_id == "each"


def test_codes() -> None:
    assert E.E_LOOP_PARENT == "graph.E018" and E.E_LOOP_NAME_OUTSIDE == "graph.E022"
    assert _codes([START, note("a", "a"), note("b", "b", "a")],
                  [edge("start", "a"), edge("a", "b")]) == {(E.E_LOOP_PARENT, "b")}
    body = [START, loop(), note("in", "{{ item }}", "each"), note("out", "x")]
    assert _codes(body, [edge("start", "each"), edge("each", "in", "item"),
                         edge("in", "out")]) == {(E.E_LOOP_BOUNDARY, "in-out-out")}
    assert (E.E_LOOP_BOUNDARY, "start-out-in") in _codes(
        body, [edge("start", "each"), edge("each", "in", "item"), edge("start", "in")]
    )
    assert _codes(body, [edge("start", "each"), edge("each", "out", "item"),
                         edge("each", "in", "done")]) == {
        (E.E_LOOP_HANDLE, "each-item-out"), (E.E_LOOP_HANDLE, "each-done-in")
    }
    inside = [node("start", "trigger", parent="each"), loop(items="{{ [1] }}"),
              note("x", "x", "each")]
    assert (E.E_TRIGGER_IN_LOOP, "start") in _codes(
        inside, [edge("each", "x", "item")]
    )
    names = [START, loop(), note("in", "{{ nodes.each.count }}", "each"),
             note("after", "{{ item }}")]
    assert _codes(names, [edge("start", "each"), edge("each", "in", "item"),
                          edge("each", "after", "done")]) == {
        (E.E_EXPRESSION_NOT_UPSTREAM, "in"), (E.E_LOOP_NAME_OUTSIDE, "after")
    }
