"""Chunks: the state that flows when one step handles many items.

A chunk is a plain dict (it goes through Dagster's IO manager):
    execution_id, trigger, nodes   the state shared by its items (outputs outside the loop)
    loop     the for_each node id, or None for a batch of trigger events ("items mode")
    key      prefix of the items' keys ("" at the top, "3/" inside outer item 3)
    log_id   the for_each's log (top-level loops)
    suspendable  True for a top-level loop's chunks: its items may suspend (approval, wait)
    items    [{index, item, trigger?, nodes, fired, failed, error}] in item order
    error    {"handle", "output"} when the for_each itself failed with on_error continue/branch
    passthrough  True when the loop already ran in the for_each step (items mode)
Per item, `nodes` holds the outputs of the nodes that ran for it and `fired` the
(node id, handle) pairs it went out on: a node runs for an item when one of its incoming
edges fired for it, so branches inside a body are per item and a merge runs once per item.
"""

from __future__ import annotations

from typing import Any

from automation.nodes.loops import ITEM_HANDLE

from .state import FlowState

CHUNK_MARK = "_chunk"


def is_chunk(value: Any) -> bool:
    return isinstance(value, dict) and value.get(CHUNK_MARK) is True


def new_item(index: int, item: Any, fired: tuple[str, str], trigger: Any = None) -> dict:
    entry = {"index": index, "item": item, "nodes": {}, "fired": [fired], "failed": False,
             "error": None}
    if trigger is not None:
        entry["trigger"] = trigger
    return entry


def loop_chunks(
    state: FlowState, loop_id: str, items: list[Any], size: int, *, shared: dict[str, Any],
    key: str = "", log_id: str | None = None,
) -> list[dict]:
    """The chunks of a loop over `items` (at least one, maybe empty, so collect runs)."""
    starts = range(0, len(items), size) if items else [0]
    return [
        {
            CHUNK_MARK: True, "execution_id": state["execution_id"], "trigger": state["trigger"],
            "nodes": shared, "loop": loop_id, "key": key, "log_id": log_id, "error": None,
            "suspendable": True,
            "items": [
                new_item(start + offset, item, (loop_id, ITEM_HANDLE))
                for offset, item in enumerate(items[start:start + size])
            ],
        }
        for start in starts
    ]


def events_chunk(execution_id: str | None, trigger_id: str, payloads: list[Any]) -> dict:
    """A batch of trigger events: one item per event, its payload as the item's trigger."""
    items = []
    for index, payload in enumerate(payloads):
        entry = new_item(index, None, (trigger_id, "out"), trigger=payload)
        entry["nodes"][trigger_id] = payload
        items.append(entry)
    return {CHUNK_MARK: True, "execution_id": execution_id, "trigger": None, "nodes": {},
            "loop": None, "key": "", "log_id": None, "error": None, "items": items}


def item_state(chunk: dict, entry: dict) -> FlowState:
    """The flow state one item's node runs with (`item`/`index` inside a loop)."""
    state: FlowState = {
        "execution_id": chunk["execution_id"],
        "trigger": entry["trigger"] if "trigger" in entry else chunk["trigger"],
        "nodes": {**chunk["nodes"], **entry["nodes"]} if chunk["nodes"] else entry["nodes"],
        "item_key": f"{chunk['key']}{entry['index']}",
    }
    if chunk.get("suspendable"):
        state["suspendable"] = True
    if chunk["loop"] is not None:
        state["item"], state["index"] = entry["item"], entry["index"]
    return state


def merge_chunks(chunks: list[dict]) -> dict:
    """Join the chunks reaching a node from several branches: each item once, outputs joined."""
    merged = {**chunks[0], "items": []}
    by_index: dict[int, dict] = {}
    for chunk in chunks:
        for entry in chunk["items"]:
            known = by_index.get(entry["index"])
            if known is None:
                by_index[entry["index"]] = {**entry, "nodes": dict(entry["nodes"]),
                                            "fired": list(entry["fired"])}
            else:
                known["nodes"].update(entry["nodes"])
                known["fired"].extend(f for f in entry["fired"] if f not in known["fired"])
    merged["items"] = [by_index[index] for index in sorted(by_index)]
    return merged


def split_by_handle(chunk: dict, node_id: str, handles: tuple[str, ...]) -> dict[str, dict]:
    """handle -> the chunk of the items that went out on it (failed items go nowhere)."""
    parts: dict[str, list[dict]] = {}
    for entry in chunk["items"]:
        if entry["failed"]:
            continue
        for source, handle in reversed(entry["fired"]):
            if source == node_id:
                parts.setdefault(handle, []).append(entry)
                break
    return {h: {**chunk, "items": parts[h]} for h in handles if parts.get(h)}


def collected(chunks: list[dict]) -> dict[str, Any]:
    """The for-each's output: every item's result in item order, and counts."""
    entries = sorted((e for chunk in chunks for e in chunk["items"]), key=lambda e: e["index"])
    results = [
        {
            "index": e["index"],
            "item": e["item"],
            "status": "failed" if e["failed"] else "success",
            "outputs": e["nodes"],
            "error": e["error"],
        }
        for e in entries
    ]
    failed = sum(1 for e in entries if e["failed"])
    return {"items": results, "count": len(results), "succeeded": len(results) - failed,
            "failed": failed}
