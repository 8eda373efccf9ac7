"""ASGI middleware: correlation ids and one JSON access line per request."""

import logging
import time
import uuid

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.logging import correlation_id

HEADER = "X-Correlation-ID"
ACCESS_LOG = logging.getLogger("app.access")


class CorrelationIdMiddleware:
    """Accept or mint ``X-Correlation-ID``, echo it, and log the request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Wrap one HTTP exchange; other scopes pass through untouched."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cid = Headers(scope=scope).get(HEADER) or uuid.uuid4().hex
        token = correlation_id.set(cid)
        started = time.perf_counter()
        status = [500]

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                MutableHeaders(scope=message).append(HEADER, cid)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log_access(scope, status[0], started)
            correlation_id.reset(token)


def log_access(scope: Scope, status: int, started: float) -> None:
    """Write the access line of one request."""
    fields = {
        "method": scope["method"],
        "path": scope["path"],
        "status": status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
    }
    ACCESS_LOG.info("request handled", extra={"fields": fields})
