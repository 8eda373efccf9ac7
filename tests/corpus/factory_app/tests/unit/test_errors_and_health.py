"""Error handlers and the readiness probe without a database."""

import asyncio

from fastapi.testclient import TestClient
from pydantic import SecretStr

from app.api.errors import on_http_error, on_service_error
from app.core.config import Settings
from app.main import create_app


def test_unexpected_error_maps_to_500() -> None:
    response = asyncio.run(on_service_error(None, RuntimeError("x")))  # type: ignore[arg-type]
    assert response.status_code == 500


def test_non_http_error_maps_to_500() -> None:
    response = asyncio.run(on_http_error(None, RuntimeError("x")))  # type: ignore[arg-type]
    assert response.status_code == 500


def test_ready_is_503_without_database() -> None:
    settings = Settings(
        _env_file=None,
        database_url=SecretStr("postgresql+asyncpg://nobody@127.0.0.1:1/none"),
    )
    with TestClient(create_app(settings)) as client:
        response = client.get("/health/ready")
        live = client.get("/health/live")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}
    assert live.status_code == 200


def test_unknown_route_uses_error_body() -> None:
    with TestClient(create_app(Settings(_env_file=None))) as client:
        response = client.get("/nope", headers={"X-Correlation-ID": "cid-1"})
    assert response.status_code == 404
    assert response.json()["error"]["correlation_id"] == "cid-1"
    assert response.headers["X-Correlation-ID"] == "cid-1"
