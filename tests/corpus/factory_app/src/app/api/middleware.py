"""Correlation ids and access logging as pure ASGI middleware."""

import logging
import time
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.logging import correlation_id

HEADER = "X-Correlation-ID"
access_logger = logging.getLogger("app.access")


class CorrelationMiddleware:
    """Accept or mint ``X-Correlation-ID``, echo it and log one access line."""

    def __init__(self, app: ASGIApp) -> None:
        """Store the collaborators."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(HEADER.lower().encode(), b"").decode()
        token = correlation_id.set(incoming or uuid.uuid4().hex)
        started = time.perf_counter()
        status = {"code": 500}

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                MutableHeaders(scope=message).append(HEADER, correlation_id.get())
            await send(message)

        try:
            await self.app(scope, receive, send_with_header)
        finally:
            log_access(scope, status["code"], time.perf_counter() - started)
            correlation_id.reset(token)


def log_access(scope: Scope, status: int, elapsed_s: float) -> None:
    """Write the access line of one request."""
    access_logger.info(
        "request handled",
        extra={
            "method": scope["method"],
            "path": scope["path"],
            "status": status,
            "duration_ms": round(elapsed_s * 1000, 2),
        },
    )
