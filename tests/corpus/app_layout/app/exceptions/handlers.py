"""Global exception handlers: every error leaves the service as an ``ErrorBody``."""

import logging
from typing import cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from app.core.logging import correlation_id
from app.exceptions.errors import TicketServiceError
from app.schemas.common import ErrorBody, ErrorDetail

LOG = logging.getLogger(__name__)


def error_response(
    status: int, code: str, message: str, details: list[dict[str, object]] | None = None
) -> JSONResponse:
    """Build the JSON response shared by every error."""
    detail = ErrorDetail(
        code=code,
        message=message,
        correlation_id=correlation_id.get(),
        details=details or [],
    )
    return JSONResponse(ErrorBody(error=detail).model_dump(mode="json"), status)


async def on_service_error(_: Request, exc: Exception) -> JSONResponse:
    """Map a :class:`TicketServiceError` to its status code."""
    error = cast(TicketServiceError, exc)
    return error_response(error.status_code, error.code, error.message)


async def on_validation_error(_: Request, exc: Exception) -> JSONResponse:
    """Answer 422 with the validation problems as details."""
    errors = cast(RequestValidationError, exc).errors()
    details = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in errors]
    return error_response(422, "validation_error", "request is invalid", details)


async def on_http_error(_: Request, exc: Exception) -> JSONResponse:
    """Keep framework errors (unknown route, wrong method) in the same shape."""
    error = cast(HTTPException, exc)
    return error_response(error.status_code, "http_error", str(error.detail))


async def on_unexpected_error(_: Request, exc: Exception) -> JSONResponse:
    """Log an unhandled exception and answer 500 without leaking details."""
    LOG.exception("unhandled error", exc_info=exc)
    return error_response(500, "internal_error", "unexpected error")


def install_exception_handlers(app: FastAPI) -> None:
    """Register every handler on ``app``."""
    app.add_exception_handler(TicketServiceError, on_service_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected_error)
