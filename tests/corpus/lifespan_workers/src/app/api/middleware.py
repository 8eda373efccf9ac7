"""Correlation-id and access-log middleware (pure ASGI)."""

import logging
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.logging import CORRELATION_ID

logger = logging.getLogger("app.http")


class CorrelationIdMiddleware:
    """Propagates ``X-Correlation-ID`` and logs each request as a JSON access line."""

    def __init__(self, app: ASGIApp) -> None:
        """Wrap the ASGI ``app``."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one request."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        value = next((v for k, v in scope["headers"] if k == b"x-correlation-id"), b"")
        reset = CORRELATION_ID.set(value.decode() or str(uuid.uuid4()))
        start, seen = time.perf_counter(), [500]

        async def reply(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen[0] = message["status"]
                header = (b"x-correlation-id", CORRELATION_ID.get().encode())
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        try:
            await self.app(scope, receive, reply)
        finally:
            elapsed = round((time.perf_counter() - start) * 1000, 2)
            access = {"method": scope["method"], "path": scope["path"], "status": seen[0]}
            logger.info("request", extra={**access, "duration_ms": elapsed})
            CORRELATION_ID.reset(reset)
