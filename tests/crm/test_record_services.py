"""Record services: each change writes its outbox RecordEvent in the same transaction, and
never without it; no-op updates write nothing; invalid data writes nothing at all."""

from contextlib import contextmanager

import pytest
from django.db import DatabaseError, connection, transaction

from crm.records.errors import PipelineNotFound
from crm.records.models import Record, RecordEvent
from crm.records.services import record_create, record_delete, record_update


@pytest.mark.django_db
def test_create_writes_record_and_event(tenant, deals, make_user):
    user = make_user(tenant, "editor")
    record = record_create(tenant=tenant, pipeline="deals", data={"name": "A"}, actor=user)
    event = RecordEvent.objects.get()
    assert (event.kind, event.record_id, event.data, event.actor) == (
        "record_created",
        record.pk,
        {"name": "A"},
        user,
    )
    assert record.created_by == user and event.tenant == tenant and event.pipeline == deals


@pytest.mark.django_db
def test_update_merges_and_reports_changed_fields(tenant, deals):
    record = record_create(tenant=tenant, pipeline=deals, data={"name": "A", "amount": 1})
    updated, changed = record_update(
        tenant=tenant, record_id=record.pk, data={"amount": 2, "stage": "won", "name": "A"}
    )
    assert updated.data == {"name": "A", "amount": 2, "stage": "won"}
    assert changed == {"amount": {"old": 1, "new": 2}, "stage": {"old": None, "new": "won"}}
    event = RecordEvent.objects.get(kind="record_updated")
    assert event.changed_fields == changed
    assert event.data == {"name": "A", "amount": 2, "stage": "won"}
    assert Record.objects.get(pk=record.pk).data == updated.data


@pytest.mark.django_db
def test_unchanged_update_writes_no_event(tenant, deals):
    record = record_create(tenant=tenant, pipeline=deals, data={"name": "A"})
    _, changed = record_update(tenant=tenant, record_id=record.pk, data={"name": "A"})
    assert changed == {}
    assert RecordEvent.objects.filter(kind="record_updated").count() == 0


@pytest.mark.django_db
def test_delete_writes_event_with_last_data(tenant, deals):
    record = record_create(tenant=tenant, pipeline=deals, data={"name": "A"})
    record_delete(tenant=tenant, record_id=record.pk)
    assert not Record.objects.filter(pk=record.pk).exists()
    event = RecordEvent.objects.get(kind="record_deleted")
    assert (event.record_id, event.data) == (record.pk, {"name": "A"})


@pytest.mark.django_db
def test_rolled_back_update_leaves_neither_change_nor_event(tenant, deals):
    record = record_create(tenant=tenant, pipeline=deals, data={"amount": 1})
    with pytest.raises(RuntimeError), transaction.atomic():
        record_update(tenant=tenant, record_id=record.pk, data={"amount": 2})
        raise RuntimeError("the caller's transaction fails after the update")
    assert Record.objects.get(pk=record.pk).data == {"amount": 1}
    assert not RecordEvent.objects.filter(kind="record_updated").exists()


@contextmanager
def outbox_refusing_inserts():
    """A real database fault: a trigger makes every insert into the outbox table fail."""
    table = RecordEvent._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION outbox_down() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'outbox unavailable'; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                f"CREATE TRIGGER outbox_down BEFORE INSERT ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION outbox_down()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER outbox_down BEFORE INSERT ON {table} "
                "BEGIN SELECT RAISE(ABORT, 'outbox unavailable'); END"
            )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER outbox_down ON {table}")
                cursor.execute("DROP FUNCTION outbox_down()")
            else:
                cursor.execute("DROP TRIGGER outbox_down")


@pytest.mark.django_db
def test_event_failure_rolls_back_the_record_change(tenant, deals):
    record = record_create(tenant=tenant, pipeline=deals, data={"amount": 1})
    with outbox_refusing_inserts():
        with pytest.raises(DatabaseError, match="outbox unavailable"):
            record_update(tenant=tenant, record_id=record.pk, data={"amount": 2})
        with pytest.raises(DatabaseError, match="outbox unavailable"):
            record_create(tenant=tenant, pipeline=deals, data={"amount": 3})
    assert list(Record.objects.values_list("data", flat=True)) == [{"amount": 1}]
    assert RecordEvent.objects.count() == 1  # the first create's event only


@pytest.mark.django_db
@pytest.mark.parametrize("bad", [["a"], "text", 3, None])
def test_invalid_data_leaves_no_record_and_no_event(tenant, deals, bad):
    with pytest.raises(ValueError, match="must be a JSON object"):
        record_create(tenant=tenant, pipeline=deals, data=bad)
    assert not Record.objects.exists() and not RecordEvent.objects.exists()


@pytest.mark.django_db
def test_invalid_update_data_changes_nothing(tenant, deals):
    record = record_create(tenant=tenant, pipeline=deals, data={"amount": 1})
    with pytest.raises(ValueError, match="must be a JSON object"):
        record_update(tenant=tenant, record_id=record.pk, data=["amount", 2])
    assert Record.objects.get(pk=record.pk).data == {"amount": 1}
    assert RecordEvent.objects.count() == 1


@pytest.mark.django_db
def test_unknown_pipeline_slug(tenant, deals):
    with pytest.raises(PipelineNotFound, match="'leads'"):
        record_create(tenant=tenant, pipeline="leads", data={})
    assert not RecordEvent.objects.exists()
