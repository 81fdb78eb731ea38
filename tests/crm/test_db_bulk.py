"""Bulk writes (crm.db_bulk: per-item execution logs, record updates' events and write keys)
store exactly what the ORM's save stores, value for value, for the values they take
shortcuts on (plain strings and numbers, UUIDs, UTC datetimes) and for those they leave to
Django (other time zones, enums, JSON)."""

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connection

from crm.db_bulk import insert_many, insert_values, update_many
from crm.records.models import Record, RecordEvent, RecordEventKind
from crm.workflows.models import NodeStatus, WorkflowExecutionLog
from crm.workflows.services import execution_create, workflow_create

pytestmark = pytest.mark.django_db

WHEN = datetime(2026, 11, 26, 11, 3, 22, 123456, tzinfo=UTC)
ELSEWHERE = datetime(2026, 11, 26, 13, 3, 22, 5, tzinfo=timezone(timedelta(hours=2)))


def _stored(model, pk, *columns: str) -> tuple:
    """The row as the database holds it, as text (what SQL compares and orders): these
    columns, or every one but the key."""
    meta = model._meta
    columns = columns or tuple(f.column for f in meta.local_concrete_fields if not f.primary_key)
    quote = connection.ops.quote_name
    selected = ", ".join(f"CAST({quote(column)} AS TEXT)" for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {selected} FROM {quote(meta.db_table)} WHERE {quote(meta.pk.column)} = %s",
            [meta.pk.get_db_prep_value(pk, connection)],
        )
        return cursor.fetchone()


@pytest.fixture
def execution(tenant):
    workflow = workflow_create(tenant=tenant, name="W")
    return execution_create(tenant=tenant, workflow=workflow, source="manual", trigger_data={})


@pytest.mark.parametrize("started", [WHEN, ELSEWHERE], ids=["utc", "utc+2"])
def test_insert_values_stores_what_the_orm_stores(execution, started) -> None:
    values = {
        "execution_id": execution.pk, "node_id": "classify", "node_type": "ai_classification",
        "node_name": "Classify – ünïcode", "attempt": 2, "item_index": 7,
        "status": NodeStatus.SUCCESS, "started_at": started,
        "completed_at": started + timedelta(seconds=1), "duration_ms": 1000,
        "output_handle": "hot",
    }
    json_values = {"input_data": {"text": "x"}, "output_data": {"label": "hot"},
                   "execution_details": {"item": "7"}, "error_details": None}
    by_orm = WorkflowExecutionLog.objects.create(**values, **json_values)
    bulk_id = uuid.uuid4()
    insert_values(
        WorkflowExecutionLog,
        [{"id": bulk_id, **values, "input_data": '{"text": "x"}',
          "output_data": '{"label": "hot"}', "execution_details": '{"item": "7"}',
          "error_details": None}],
        json_text={"input_data", "output_data", "execution_details", "error_details"},
    )
    assert _stored(WorkflowExecutionLog, bulk_id) == _stored(WorkflowExecutionLog, by_orm.pk)
    read = WorkflowExecutionLog.objects.get(pk=bulk_id)
    assert read.started_at == started
    assert (read.status, read.attempt, read.execution_id) == ("success", 2, execution.pk)


def test_insert_many_stores_what_the_orm_stores(tenant, deals) -> None:
    record = Record.objects.create(tenant=tenant, pipeline=deals, data={"name": "Acme"})
    fields = {"tenant_id": tenant.pk, "pipeline_id": deals.pk, "record_id": record.pk,
              "kind": RecordEventKind.UPDATED, "data": {"name": "Acme", "n": 1.5},
              "changed_fields": {"n": {"old": None, "new": 1.5}}, "created_at": WHEN}
    by_orm = RecordEvent.objects.create(**fields)
    RecordEvent.objects.filter(pk=by_orm.pk).update(created_at=WHEN)  # not auto_now_add's
    insert_many([RecordEvent(**fields)])
    bulk = RecordEvent.objects.exclude(pk=by_orm.pk).get()
    # auto_now_add applies in bulk as in save: both rows hold the time of writing
    assert _stored(RecordEvent, bulk.pk, "created_at") != _stored(RecordEvent, by_orm.pk,
                                                                  "created_at")
    RecordEvent.objects.filter(pk=bulk.pk).update(created_at=WHEN)
    assert _stored(RecordEvent, bulk.pk) == _stored(RecordEvent, by_orm.pk)
    assert bulk.data == {"name": "Acme", "n": 1.5}


@pytest.mark.parametrize("when", [WHEN, ELSEWHERE], ids=["utc", "utc+2"])
def test_update_many_stores_what_the_orm_stores(tenant, deals, when) -> None:
    bulk, by_orm = (Record.objects.create(tenant=tenant, pipeline=deals, data={"name": "Acme"})
                    for _ in range(2))
    bulk.data, bulk.updated_at = {"name": "Acme", "segment": "hot"}, when
    update_many([bulk], ["data", "updated_at"])
    Record.objects.filter(pk=by_orm.pk).update(data=bulk.data, updated_at=when)
    assert _stored(Record, bulk.pk, "data", "updated_at") == _stored(
        Record, by_orm.pk, "data", "updated_at"
    )
    read = Record.objects.get(pk=bulk.pk)
    assert (read.data, read.updated_at) == ({"name": "Acme", "segment": "hot"}, when)
