"""Product endpoints, errors and probes over HTTP."""

import uuid

from fastapi.testclient import TestClient
from pydantic import SecretStr

from app.core.config import Settings
from app.main import build_app
from tests.conftest import FakeKafka


def _sku() -> str:
    return f"SKU-{uuid.uuid4().hex[:8].upper()}"


def test_register_list_get(client: TestClient) -> None:
    sku = _sku()
    created = client.post("/products", json={"sku": sku, "name": "Washer", "on_hand": 9})
    assert created.status_code == 201
    product_id = created.json()["id"]
    assert client.get(f"/products/{product_id}").json()["sku"] == sku
    listed = client.get("/products", params={"limit": 200}).json()["data"]
    assert sku in [p["sku"] for p in listed]
    again = client.post("/products", json={"sku": sku, "name": "Dup", "on_hand": 1})
    assert again.status_code == 409


def test_error_bodies_match(client: TestClient) -> None:
    missing = client.get(f"/products/{uuid.uuid4()}", headers={"X-Correlation-ID": "abc"})
    invalid = client.post("/products", json={"sku": "lower", "name": "", "on_hand": -1})
    assert (missing.status_code, invalid.status_code) == (404, 422)
    assert missing.json().keys() == invalid.json().keys()
    assert missing.json()["correlation_id"] == "abc"
    assert missing.headers["x-correlation-id"] == "abc"
    assert client.delete("/products").json()["type"] == "http_error"


def test_probes(client: TestClient) -> None:
    assert client.get("/health/live").json() == {"status": "pass"}
    assert client.get("/health/ready").status_code == 200


def test_ready_fails_without_database(kafka: FakeKafka) -> None:
    dsn = SecretStr("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    settings = Settings(_env_file=None, postgres_dsn=dsn)
    with TestClient(build_app(settings, kafka.clients())) as broken:
        assert broken.get("/health/ready").status_code == 503
