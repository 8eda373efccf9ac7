"""The invoice API end to end against PostgreSQL."""

import uuid

from fastapi.testclient import TestClient

BODY = {
    "customer": "ACME Corp",
    "currency": "EUR",
    "lines": [
        {"description": "Consulting", "quantity": 3, "unit_price_cents": 12000},
        {"description": "Travel", "quantity": 1, "unit_price_cents": 5000},
    ],
}


def test_issue_then_read(client: TestClient) -> None:
    created = client.post("/invoices", json=BODY)
    assert created.status_code == 201
    invoice = created.json()
    assert invoice["total_cents"] == 41000
    assert invoice["status"] == "issued"
    fetched = client.get(f"/invoices/{invoice['id']}")
    assert fetched.status_code == 200
    assert fetched.json()["lines"][1]["description"] == "Travel"
    listed = client.get("/invoices", params={"limit": 5}).json()
    assert invoice["id"] in [item["id"] for item in listed["items"]]


def test_unknown_invoice_and_invalid_body_share_error_shape(client: TestClient) -> None:
    missing = client.get(f"/invoices/{uuid.uuid4()}")
    invalid = client.post("/invoices", json={"customer": ""})
    assert missing.status_code == 404
    assert invalid.status_code == 422
    assert missing.json().keys() == invalid.json().keys()
    assert missing.json()["error"]["code"] == "invoice_not_found"


def test_health_and_correlation_id(client: TestClient) -> None:
    response = client.get("/health/ready", headers={"X-Correlation-ID": "corr-42"})
    assert response.status_code == 200
    assert response.headers["X-Correlation-ID"] == "corr-42"
    assert client.get("/health/live").json() == {"status": "ok"}


def test_openapi_documents_operations(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    post = spec["paths"]["/invoices"]["post"]
    assert post["summary"] == "Issue an invoice"
    assert "422" in post["responses"]
