"""HTTP middleware: correlation id propagation and access logging."""

import logging
import secrets
import time

from fastapi import Request, Response
from starlette.middleware.base import RequestResponseEndpoint

from app.core.logging import REQUEST_ID

HEADER = "X-Correlation-ID"
access = logging.getLogger("notes.access")


async def correlation_and_access_log(
    request: Request, call_next: RequestResponseEndpoint
) -> Response:
    """Reuse or create the correlation id, echo it and log the exchange."""
    request_id = request.headers.get(HEADER) or secrets.token_hex(8)
    token = REQUEST_ID.set(request_id)
    start = time.monotonic()
    try:
        response = await call_next(request)
        response.headers[HEADER] = request_id
        elapsed_ms = round((time.monotonic() - start) * 1000, 1)
        fields: dict[str, object] = {"method": request.method, "path": request.url.path}
        fields |= {"status": response.status_code, "duration_ms": elapsed_ms}
        access.info("access", extra=fields)
        return response
    finally:
        REQUEST_ID.reset(token)
