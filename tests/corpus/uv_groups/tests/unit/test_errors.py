"""Exception handlers."""

import json

from fastapi import Request

from app.api.errors import http_error, inventory_error, unexpected_error, validation_error
from app.exceptions import InsufficientStock

REQUEST = Request({"type": "http", "headers": []})


async def test_domain_errors_keep_their_status() -> None:
    response = await inventory_error(REQUEST, InsufficientStock("A-1", 1, -2))
    assert response.status_code == 422


async def test_unexpected_errors_hide_details() -> None:
    response = await unexpected_error(REQUEST, RuntimeError("password=hunter2"))
    assert response.status_code == 500
    assert "hunter2" not in json.loads(bytes(response.body))["detail"]


async def test_handlers_tolerate_foreign_exceptions() -> None:
    assert (await inventory_error(REQUEST, ValueError())).status_code == 500
    assert (await validation_error(REQUEST, ValueError())).status_code == 422
    assert (await http_error(REQUEST, ValueError())).status_code == 500
