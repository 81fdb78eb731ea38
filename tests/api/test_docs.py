"""API docs: /api/docs serves Swagger UI from local static files, and /api/openapi.json
describes every endpoint with both auth schemes."""

from __future__ import annotations

from .conftest import ApiClient

ENDPOINTS = {
    ("get", "/api/me"),
    ("get", "/api/catalogue"),
    ("get", "/api/workflows"),
    ("post", "/api/workflows"),
    ("get", "/api/workflows/{workflow_id}"),
    ("patch", "/api/workflows/{workflow_id}"),
    ("delete", "/api/workflows/{workflow_id}"),
    ("post", "/api/workflows/{workflow_id}/validate"),
    ("post", "/api/workflows/{workflow_id}/publish"),
    ("get", "/api/workflows/{workflow_id}/versions"),
    ("get", "/api/workflows/{workflow_id}/versions/{number}"),
    ("post", "/api/workflows/{workflow_id}/versions/{number}/rollback"),
    ("post", "/api/workflows/{workflow_id}/run"),
    ("get", "/api/executions"),
    ("get", "/api/executions/{execution_id}"),
    ("get", "/api/executions/{execution_id}/events"),
    ("get", "/api/pipelines"),
    ("get", "/api/pipelines/{slug}/records"),
    ("post", "/api/pipelines/{slug}/records"),
    ("get", "/api/records/{record_id}"),
    ("patch", "/api/records/{record_id}"),
    ("delete", "/api/records/{record_id}"),
    ("get", "/api/workflows/{workflow_id}/webhook"),
    ("post", "/api/workflows/{workflow_id}/webhook"),
    ("post", "/api/workflows/{workflow_id}/webhook/rotate"),
    ("get", "/api/workflows/{workflow_id}/schedule"),
    ("get", "/api/workflows/{workflow_id}/trigger/events"),
    ("get", "/api/approvals"),
    ("get", "/api/approvals/{approval_id}"),
    ("post", "/api/approvals/{approval_id}/decide"),
}


def test_docs_page_is_served_without_a_cdn():
    response = ApiClient().get("/api/docs")
    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page and "cdn" not in page.lower()


def test_openapi_lists_every_endpoint_and_both_auth_schemes():
    response = ApiClient().get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    listed = {(method, path) for path, item in spec["paths"].items() for method in item}
    assert listed == ENDPOINTS
    schemes = spec["components"]["securitySchemes"]
    assert {scheme["type"] for scheme in schemes.values()} == {"http", "apiKey"}
    publish = spec["paths"]["/api/workflows/{workflow_id}/publish"]["post"]["responses"]
    assert {"201", "422"} <= set(publish)
