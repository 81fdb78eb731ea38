"""record_update_many (the for-each batch write) does what record_update + record_write_once
do one by one: same results, records, outbox events and write keys, in a few queries."""

import pytest

from crm.records.errors import RecordNotFound
from crm.records.models import Record, RecordEvent, RecordWriteKey
from crm.records.selectors import record_to_dict
from crm.records.services import (
    RecordUpdate,
    record_create,
    record_update,
    record_update_many,
    record_write_once,
)


def _one_by_one(tenant, updates):
    results = []
    for update in updates:
        def write(update=update):
            record, changed = record_update(tenant=tenant, record_id=update.record_id,
                                            data=update.data, pipeline=update.pipeline)
            return {"record": record_to_dict(record), "changed_fields": changed}
        try:
            if update.key is None:
                results.append(write())
            else:
                results.append(record_write_once(tenant=tenant, execution_id=update.key[0],
                                                 node_id=update.key[1], item_key=update.key[2],
                                                 write=write)[0])
        except (RecordNotFound, ValueError) as exc:
            results.append(exc)
    return results


def _state():
    records = {r.pk: r.data for r in Record.objects.order_by("pk")}
    events = [(e.record_id, e.kind, e.data, e.changed_fields)
              for e in RecordEvent.objects.filter(kind="record_updated").order_by("pk")]
    keys = sorted((k.key, k.item_key) for k in RecordWriteKey.objects.all())
    return records, events, keys


def _plain(results):
    return [
        type(r).__name__ if isinstance(r, Exception)
        else {**r, "record": {k: v for k, v in r["record"].items() if k != "updated_at"}}
        for r in results
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("batched", [True, False])
def test_batch_matches_one_by_one(tenant, deals, batched):
    a = record_create(tenant=tenant, pipeline=deals, data={"name": "A", "n": 1})
    b = record_create(tenant=tenant, pipeline=deals, data={"name": "B"})
    updates = [
        RecordUpdate(a.pk, {"n": 2}, "deals", ("e1", "update", "0")),
        RecordUpdate(b.pk, {"name": "B"}, "deals", ("e1", "update", "1")),  # no change
        RecordUpdate(a.pk, {"n": 3, "s": "x"}, "deals", ("e1", "update", "2")),  # same record
        RecordUpdate(999_999, {"n": 1}, "deals", ("e1", "update", "3")),  # missing
        RecordUpdate(b.pk, {"n": 1}, "other", ("e1", "update", "4")),  # wrong pipeline
        RecordUpdate(b.pk, "not a dict", "deals", ("e1", "update", "5")),  # invalid
        RecordUpdate(b.pk, {"n": 9}, None, None),  # no key
    ]
    results = (record_update_many(tenant=tenant, updates=updates) if batched
               else _one_by_one(tenant, updates))
    expected = [
        {"record": {"id": a.pk, "pipeline": "deals", "data": {"name": "A", "n": 2},
                    "created_at": a.created_at.isoformat()},
         "changed_fields": {"n": {"old": 1, "new": 2}}},
        {"record": {"id": b.pk, "pipeline": "deals", "data": {"name": "B"},
                    "created_at": b.created_at.isoformat()},
         "changed_fields": {}},
        {"record": {"id": a.pk, "pipeline": "deals", "data": {"name": "A", "n": 3, "s": "x"},
                    "created_at": a.created_at.isoformat()},
         "changed_fields": {"n": {"old": 2, "new": 3}, "s": {"old": None, "new": "x"}}},
        "RecordNotFound", "RecordNotFound", "ValueError",
        {"record": {"id": b.pk, "pipeline": "deals", "data": {"name": "B", "n": 9},
                    "created_at": b.created_at.isoformat()},
         "changed_fields": {"n": {"old": None, "new": 9}}},
    ]
    assert _plain(results) == expected
    records, events, keys = _state()
    assert records == {a.pk: {"name": "A", "n": 3, "s": "x"}, b.pk: {"name": "B", "n": 9}}
    assert [(rid, changed) for rid, _, _, changed in events] == [
        (a.pk, {"n": {"old": 1, "new": 2}}),
        (a.pk, {"n": {"old": 2, "new": 3}, "s": {"old": None, "new": "x"}}),
        (b.pk, {"n": {"old": None, "new": 9}}),
    ]
    assert events[0][2] == {"name": "A", "n": 2}  # each event has the data after its change
    assert sorted(item for _, item in keys) == ["0", "1", "2"]  # failed items: no key

    # A repeat (a retried chunk) gives the stored results and writes nothing more.
    again = record_update_many(tenant=tenant, updates=updates[:3])
    assert again == [results[0], results[1], results[2]]
    assert _state() == (records, events, keys)
