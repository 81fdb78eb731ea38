"""Records through the API: CRUD goes through the record services, so each write leaves its
outbox event; the list filters (field:operator:value, repeatable), sorts and pages; bad
filters are a 400 with a reason."""

from __future__ import annotations

import pytest

from crm.records.models import Record, RecordEvent
from crm.records.services import record_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(tenant, client_for):
    return client_for(tenant, "editor")


def events() -> list[tuple[str, int]]:
    return list(RecordEvent.objects.order_by("id").values_list("kind", "record_id"))


def test_crud_writes_outbox_events(editor, deals):
    made = editor.call(
        "post", "/api/pipelines/deals/records", {"data": {"title": "A", "amount": 5}}
    )
    assert made.status_code == 201, made.content
    record_id = made.json()["id"]
    assert made.json()["pipeline"] == "deals" and made.json()["data"]["amount"] == 5
    assert editor.get(f"/api/records/{record_id}").json()["data"] == {"title": "A", "amount": 5}
    patched = editor.call("patch", f"/api/records/{record_id}", {"data": {"amount": 6}})
    assert patched.json()["data"] == {"title": "A", "amount": 6}
    editor.call("patch", f"/api/records/{record_id}", {"data": {"amount": 6}})  # no change
    replaced = editor.call(
        "patch", f"/api/records/{record_id}", {"data": {"title": "B"}, "replace": True}
    )
    assert replaced.json()["data"] == {"title": "B"}
    assert editor.delete(f"/api/records/{record_id}").status_code == 204
    assert not Record.objects.filter(pk=record_id).exists()
    assert editor.get(f"/api/records/{record_id}").status_code == 404
    kinds = ["record_created", "record_updated", "record_updated", "record_deleted"]
    assert events() == [(kind, record_id) for kind in kinds]
    first_update = RecordEvent.objects.filter(kind="record_updated").first()
    assert first_update.changed_fields == {"amount": {"old": 5, "new": 6}}
    assert first_update.actor == editor.user


def test_pipelines_are_listed(editor, deals):
    assert editor.get("/api/pipelines").json() == [{"slug": "deals", "name": "Deals", "fields": []}]


def test_list_filters_sorts_and_pages(editor, tenant, deals):
    for title, amount in [("Alpha", 10), ("Beta", 500), ("Gamma", 50_000), ("Delta", 70_000)]:
        record_create(tenant=tenant, pipeline=deals, data={"title": title, "amount": amount})

    def titles(query: str) -> list[str]:
        response = editor.get(f"/api/pipelines/deals/records{query}")
        assert response.status_code == 200, response.content
        return [item["data"]["title"] for item in response.json()["items"]]

    assert titles("") == ["Alpha", "Beta", "Gamma", "Delta"]
    assert titles("?filter=amount:>:1000") == ["Gamma", "Delta"]
    assert titles("?filter=amount:>:100&filter=amount:<:60000") == ["Beta", "Gamma"]
    assert titles("?filter=title:starts_with:Ga") == ["Gamma"]
    assert titles('?filter=title:==:"Beta"') == ["Beta"]
    assert titles("?filter=note:is_empty") == ["Alpha", "Beta", "Gamma", "Delta"]
    assert titles("?sort=-amount&limit=2") == ["Delta", "Gamma"]
    assert titles("?sort=title&offset=1&limit=2") == ["Beta", "Delta"]
    page = editor.get("/api/pipelines/deals/records?filter=amount:>:100&limit=1").json()
    assert (page["count"], page["limit"], page["offset"]) == (3, 1, 0)


@pytest.mark.parametrize(
    "query",
    ["?filter=amount", "?filter=amount:~:5", "?filter=a__b:==:1", "?sort=data__x", "?filter=:==:1"],
)
def test_bad_filters_are_a_400_with_a_reason(editor, deals, query):
    response = editor.get(f"/api/pipelines/deals/records{query}")
    assert response.status_code == 400 and response.json()["detail"]


def test_bad_record_input(editor, deals, record):
    assert editor.call("post", "/api/pipelines/deals/records", {"data": [1]}).status_code == 422
    assert editor.call("post", "/api/pipelines/deals/records", {}).status_code == 422
    assert editor.call("post", "/api/pipelines/nope/records", {"data": {}}).status_code == 404
    assert editor.get("/api/pipelines/nope/records").status_code == 404
    assert editor.get("/api/records/999999").status_code == 404
    assert editor.get("/api/records/abc").status_code == 422
    assert editor.get("/api/pipelines/deals/records?limit=100000").status_code == 422


def test_ids_out_of_range_are_refused_before_the_database(editor, deals):
    for record_id in ("0", "-1", str(2**63)):
        assert editor.get(f"/api/records/{record_id}").status_code == 422
