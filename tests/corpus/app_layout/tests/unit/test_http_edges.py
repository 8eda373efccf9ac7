"""Middleware and exception handlers on a minimal app."""

import json

import httpx
from fastapi import FastAPI, Request
from starlette.types import Message, Receive, Scope, Send

from app.api.middleware import HEADER, CorrelationIdMiddleware
from app.exceptions.handlers import install_exception_handlers, on_unexpected_error


def _app() -> FastAPI:
    app = FastAPI()
    app.add_middleware(CorrelationIdMiddleware)
    install_exception_handlers(app)

    @app.get("/ok")
    async def ok() -> dict[str, str]:
        return {"status": "ok"}

    return app


async def test_the_correlation_id_is_echoed() -> None:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        given = await client.get("/ok", headers={HEADER: "cid-1"})
        minted = await client.get("/ok")
    assert given.headers[HEADER] == "cid-1"
    assert len(minted.headers[HEADER]) == 32


async def test_unknown_routes_use_the_error_body() -> None:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/nowhere")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "http_error"


async def test_unexpected_errors_are_hidden() -> None:
    request = Request({"type": "http", "headers": []})
    response = await on_unexpected_error(request, RuntimeError("secret"))
    body = json.loads(bytes(response.body))
    assert response.status_code == 500
    assert "secret" not in body["error"]["message"]


async def test_non_http_scopes_pass_through() -> None:
    seen: list[str] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(str(scope["type"]))

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    async def send(message: Message) -> None:
        seen.append(message["type"])

    await CorrelationIdMiddleware(inner)({"type": "lifespan"}, receive, send)
    assert seen == ["lifespan"]
