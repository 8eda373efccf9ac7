"""Middleware: a request id (pure ASGI or ``BaseHTTPMiddleware``) and a JSON access log."""

from __future__ import annotations

import json
import logging
import time
import uuid

from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "x-request-id"
access_logger = logging.getLogger("perf_lab.access")


class RequestIdMiddleware:
    """Pure ASGI: add an ``x-request-id`` response header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the header to the response start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex.encode()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (HEADER.encode(), request_id)]
            await send(message)

        await self.app(scope, receive, send_with_id)


class RequestIdHTTPMiddleware(BaseHTTPMiddleware):
    """The same header with Starlette's ``BaseHTTPMiddleware``."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        """Call the app and add the header."""
        response = await call_next(request)
        response.headers[HEADER] = uuid.uuid4().hex
        return response


class AccessLogMiddleware:
    """Pure ASGI: one JSON line per request (method, path, status, duration)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, remember the status, log when the response is done."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), [0]

        async def send_recording(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        await self.app(scope, receive, send_recording)
        access_logger.info(json.dumps({
            "method": scope["method"], "path": scope["path"], "status": status[0],
            "duration_ms": round((time.perf_counter() - started) * 1000, 3),
        }))  # fmt: skip


def configure_access_log() -> None:
    """Send ``perf_lab.access`` to stderr at INFO, one message per line."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    access_logger.addHandler(handler)
    access_logger.setLevel(logging.INFO)
    access_logger.propagate = False
