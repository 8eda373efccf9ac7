"""Pure ASGI middleware: correlation id propagation and access logging.

Written against raw ASGI (not ``BaseHTTPMiddleware``) so it adds no extra
task or body buffering per request.
"""

from __future__ import annotations

import logging
import re
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.logging import (
    CORRELATION_ID_HEADER,
    bind_correlation_id,
    new_correlation_id,
    reset_correlation_id,
)

logger = logging.getLogger("app.access")

_HEADER = CORRELATION_ID_HEADER.lower().encode("latin-1")
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def extract_correlation_id(scope: Scope) -> str:
    """Return the caller's correlation id when well-formed, else a new one.

    Args:
        scope: The ASGI HTTP scope.

    Returns:
        The correlation id for this request.
    """
    for name, value in scope.get("headers", ()):
        if name == _HEADER:
            candidate: str = value.decode("latin-1")
            if _VALID_ID.match(candidate):
                return candidate
    return new_correlation_id()


class CorrelationIdMiddleware:
    """Binds ``X-Correlation-ID`` to the request, echoes it and logs access."""

    def __init__(self, app: ASGIApp) -> None:
        """Wrap ``app``.

        Args:
            app: The downstream ASGI application.
        """
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection.

        Args:
            scope: Connection scope.
            receive: ASGI receive callable.
            send: ASGI send callable.
        """
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        correlation_id = extract_correlation_id(scope)
        scope.setdefault("state", {})["correlation_id"] = correlation_id
        token = bind_correlation_id(correlation_id)
        started = time.perf_counter()
        status = {"code": 500}

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message = _with_header(message, correlation_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_header)
        finally:
            elapsed = time.perf_counter() - started
            _log_access(scope, status["code"], elapsed, correlation_id)
            reset_correlation_id(token)


def _with_header(message: Message, correlation_id: str) -> Message:
    """Add the correlation header to a response start unless already set."""
    headers = list(message.get("headers", []))
    if all(name.lower() != _HEADER for name, _ in headers):
        headers.append((_HEADER, correlation_id.encode("latin-1")))
    return {**message, "headers": headers}


def _log_access(
    scope: Scope, status: int, elapsed_s: float, correlation_id: str
) -> None:
    """Write the structured access-log line for one request."""
    logger.info(
        "request_completed",
        extra={
            "correlation_id": correlation_id,
            "method": scope["method"],
            "path": scope["path"],
            "status": status,
            "duration_ms": round(elapsed_s * 1000, 2),
        },
    )
