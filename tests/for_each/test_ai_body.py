"""AI inside a for-each, against the real local model server: each chunk's items run
concurrently, and the server never sees more requests in flight than the loop's
max_concurrency; labels come back per item, in order, and each item's branch is its own."""

from __future__ import annotations

import pytest

from crm.workflows.models import Task
from tests.ai.conftest import ai_tenant, model_server, model_server_session  # noqa: F401

from .conftest import classify_definition, run_definition

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("max_concurrency", [1, 3])
def test_concurrency_bound_and_per_item_labels(ai_tenant, model_server, make_user,  # noqa: F811
                                               max_concurrency) -> None:
    make_user(ai_tenant, "editor")
    model_server.control(latency=0.05)
    texts = ["Budget approved, they want to buy", "It is broken, help"] * 6
    execution, result = run_definition(
        ai_tenant, classify_definition(max_concurrency), {"items": texts}
    )
    assert result.success
    stats = model_server.stats()
    assert stats["requests"] == 12
    assert stats["max_in_flight"] == max_concurrency  # reached, never passed
    output = result.output_for_node("each__collect", "done")["nodes"]["each"]
    labels = [e["outputs"]["classify"]["label"] for e in output["items"]]
    assert labels == ["hot_lead", "support"] * 6
    assert sorted(Task.objects.values_list("title", flat=True)) == sorted(
        f"call {i}" for i in range(0, 12, 2)
    )
    assert execution.logs.filter(node_id="classify", status="success").count() == 12
