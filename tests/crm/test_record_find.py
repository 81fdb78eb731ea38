"""record_find: every shared operator, safe field names and numeric sorting, through the ORM.

Runs on the configured database (SQLite by default, PostgreSQL with CRM_DATABASE_URL).
"""

import pytest

from crm.records.models import Record
from crm.records.selectors import record_find, record_to_dict
from crm.records.services import record_create

ROWS = [
    {"name": "Alpha deal", "amount": 900, "stage": "won", "email": "a@acme.io"},
    {"name": "beta Deal", "amount": 10000, "stage": "lead", "email": ""},
    {"name": "Gamma", "amount": 2500, "stage": "won", "email": None},
    {"name": "delta", "amount": 150, "stage": "lost"},
]


@pytest.fixture
def names(tenant, deals):
    for row in ROWS:
        record_create(tenant=tenant, pipeline=deals, data=row)

    def _find(*filters, **kwargs):
        found = record_find(tenant=tenant, pipeline="deals", filters=list(filters), **kwargs)
        return [record.data["name"] for record in found]

    return _find


def f(field, operator, value=None):
    return {"field": field, "operator": operator, "value": value}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (f("stage", "==", "won"), ["Alpha deal", "Gamma"]),
        (f("stage", "!=", "won"), ["beta Deal", "delta"]),
        (f("amount", "==", 900), ["Alpha deal"]),
        (f("amount", "==", "900"), []),
        (f("amount", ">", 900), ["beta Deal", "Gamma"]),
        (f("amount", ">=", 900), ["Alpha deal", "beta Deal", "Gamma"]),
        (f("amount", "<", 2500), ["Alpha deal", "delta"]),
        (f("amount", "<=", 2500), ["Alpha deal", "Gamma", "delta"]),
        (f("name", "contains", "DEAL"), ["Alpha deal", "beta Deal"]),
        (f("name", "not_contains", "deal"), ["Gamma", "delta"]),
        (f("name", "starts_with", "beta"), ["beta Deal"]),
        (f("name", "starts_with", "Beta"), []),
        (f("name", "ends_with", "Deal"), ["beta Deal"]),
        (f("email", "is_empty"), ["beta Deal", "Gamma", "delta"]),
        (f("email", "is_not_empty"), ["Alpha deal"]),
        (f("email", "!=", "a@acme.io"), ["beta Deal", "Gamma", "delta"]),
        (f("email", "==", None), ["Gamma", "delta"]),
        (f("nope", "is_empty"), ["Alpha deal", "beta Deal", "Gamma", "delta"]),
    ],
)
def test_operator(names, flt, expected):
    assert names(flt) == expected


@pytest.mark.django_db
def test_filters_combine_with_and(names):
    assert names(f("stage", "==", "won"), f("amount", ">", 1000)) == ["Gamma"]


@pytest.mark.django_db
def test_numeric_sort_not_lexicographic(names):
    assert names(sort_by="amount") == ["delta", "Alpha deal", "Gamma", "beta Deal"]
    assert names(sort_by="amount", sort_direction="desc", limit=2) == ["beta Deal", "Gamma"]


@pytest.mark.django_db
def test_sort_by_columns(names):
    newest_first = ["delta", "Gamma", "beta Deal", "Alpha deal"]
    assert names(sort_by="id", sort_direction="desc") == newest_first
    assert names(sort_by="created_at") == [row["name"] for row in ROWS]


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["amount') OR 1=1 --", "a.b", "1st", "", "x" * 101, "amount__gt"])
def test_unsafe_field_names_are_refused(names, field):
    with pytest.raises(ValueError, match="invalid field name"):
        names(f(field, "==", 1))
    with pytest.raises(ValueError, match="invalid field name"):
        names(sort_by=field)


@pytest.mark.django_db
def test_unknown_operator_is_refused(names):
    with pytest.raises(ValueError, match="unknown operator 'like'"):
        names(f("name", "like", "%"))


@pytest.mark.django_db
def test_record_to_dict_is_json_ready(tenant, deals):
    record = record_create(tenant=tenant, pipeline="deals", data={"name": "X"})
    as_dict = record_to_dict(Record.objects.get(pk=record.pk))
    assert as_dict["id"] == record.pk
    assert as_dict["pipeline"] == "deals"
    assert as_dict["data"] == {"name": "X"}
    assert as_dict["created_at"].startswith(str(record.created_at.year))
    assert isinstance(as_dict["updated_at"], str)


@pytest.mark.django_db
def test_find_is_scoped_to_the_pipeline(names, tenant):
    from crm.records.models import Pipeline

    leads = Pipeline.objects.create(tenant=tenant, slug="leads", name="Leads")
    record_create(tenant=tenant, pipeline=leads, data={"name": "Alpha lead", "stage": "won"})
    assert names(f("stage", "==", "won")) == ["Alpha deal", "Gamma"]


@pytest.mark.django_db
def test_values_are_parameters_not_sql(names):
    assert names(f("name", "==", "x' OR '1'='1")) == []
    assert names(f("name", "contains", "%")) == []
