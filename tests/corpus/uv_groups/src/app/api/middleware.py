"""Request context middleware (BaseHTTPMiddleware flavour)."""

import time
import uuid

import structlog
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response

CORRELATION_HEADER = "X-Correlation-ID"
access_log = structlog.get_logger("inventory.access")


class RequestContextMiddleware(BaseHTTPMiddleware):
    """Bind the correlation id to the log context, echo it, log one access event."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        """Handle one request inside its logging context."""
        correlation_id = request.headers.get(CORRELATION_HEADER) or str(uuid.uuid4())
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(correlation_id=correlation_id)
        started = time.perf_counter()
        response = await call_next(request)
        response.headers[CORRELATION_HEADER] = correlation_id
        access_log.info(
            "http_request",
            method=request.method,
            path=request.url.path,
            status=response.status_code,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
        )
        return response
