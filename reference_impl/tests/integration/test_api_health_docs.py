"""Health, metrics and OpenAPI completeness."""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate

from app.core.config import Settings
from app.core.logging import JsonFormatter
from app.main import create_app

pytestmark = pytest.mark.integration


async def test_live_and_ready(client: httpx.AsyncClient) -> None:
    live = await client.get("/health/live")
    assert live.status_code == HTTPStatus.OK
    assert live.json() == {"status": "ok"}
    ready = await client.get("/health/ready")
    assert ready.status_code == HTTPStatus.OK
    assert ready.json() == {"status": "ok", "checks": {"database": "ok", "kafka": "ok"}}


async def test_ready_is_503_when_dependencies_are_down(settings: Settings) -> None:
    broken = settings.model_copy(
        update={
            "kafka_bootstrap_servers": "127.0.0.1:1",
            "database_url": settings.database_url.__class__(
                "postgresql+asyncpg://nobody@127.0.0.1:1/none"
            ),
            "kafka_health_timeout_s": 0.5,
        }
    )
    application = create_app(broken)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            response = await http.get("/health/ready")
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "unreachable", "kafka": "unreachable"},
    }


async def test_metrics_exposes_prometheus_text(client: httpx.AsyncClient) -> None:
    response = await client.get("/metrics")
    assert response.status_code == HTTPStatus.OK
    assert "python_info" in response.text


async def test_openapi_is_complete(client: httpx.AsyncClient) -> None:
    spec: dict[str, Any] = (await client.get("/openapi.json")).json()
    validate(spec)
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert operation["summary"], (method, path)
            assert operation["description"], (method, path)
            assert any(code.startswith(("4", "5")) for code in operation["responses"])
    for name, schema in spec["components"]["schemas"].items():
        if name.startswith(("Order", "Error", "Liveness", "Readiness")):
            assert schema.get("examples"), name


async def test_access_log_is_json_with_correlation_id(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="app.access"):
        response = await client.get(
            "/health/live", headers={"X-Correlation-ID": "abc-123"}
        )
    assert response.headers["X-Correlation-ID"] == "abc-123"
    record = next(r for r in caplog.records if r.getMessage() == "request_completed")
    line = json.loads(JsonFormatter().format(record))
    assert line["correlation_id"] == "abc-123"
    assert (line["method"], line["path"], line["status"]) == (
        "GET",
        "/health/live",
        200,
    )
    assert line["level"] == "info"
    assert "duration_ms" in line
