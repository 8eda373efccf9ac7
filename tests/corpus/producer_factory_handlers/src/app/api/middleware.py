"""ASGI middleware: correlation id propagation and one JSON access line per request."""

import logging
import time
from uuid import uuid4

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.logging import request_correlation

CORRELATION_HEADER = b"x-correlation-id"
access_log = logging.getLogger("booking.access")


class RequestContextMiddleware:
    """Reads or creates the correlation id and logs the request when it ends."""

    def __init__(self, app: ASGIApp) -> None:
        """Wrap ``app``."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Process one ASGI call."""
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        cid = dict(scope["headers"]).get(CORRELATION_HEADER, b"").decode("latin-1")
        cid = cid or uuid4().hex
        token = request_correlation.set(cid)
        began = time.monotonic()
        outcome: dict[str, int] = {}
        try:
            await self.app(scope, receive, tagging(send, cid, outcome))
        finally:
            write_access_line(scope, outcome.get("status", 500), began)
            request_correlation.reset(token)


def tagging(send: Send, cid: str, outcome: dict[str, int]) -> Send:
    """Wrap ``send`` to add the correlation header and remember the status."""

    async def tagged_send(message: Message) -> None:
        if message["type"] == "http.response.start":
            outcome["status"] = message["status"]
            message["headers"] = [
                *message.get("headers", []),
                (CORRELATION_HEADER, cid.encode("latin-1")),
            ]
        await send(message)

    return tagged_send


def write_access_line(scope: Scope, status: int, began: float) -> None:
    """Log method, path, status and duration of a finished request."""
    access_log.info(
        "http request",
        extra={
            "method": scope["method"],
            "path": scope["path"],
            "status_code": status,
            "duration_ms": round((time.monotonic() - began) * 1000, 2),
        },
    )
