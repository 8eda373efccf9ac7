"""Global exception handlers: every error leaves as one ``ErrorResponse``."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.logging import CORRELATION_ID_HEADER
from app.exceptions import AppError
from app.schemas.errors import ErrorResponse

logger = logging.getLogger(__name__)

_HTTP_CODES = {
    HTTPStatus.NOT_FOUND: "not_found",
    HTTPStatus.METHOD_NOT_ALLOWED: "method_not_allowed",
}


def error_response(
    request: Request, status: int, *, code: str, message: str, details: Any = None
) -> JSONResponse:
    """Build the standard error response.

    Args:
        request: The failed request (for its correlation id).
        status: HTTP status code.
        code: Machine-readable error code.
        message: Human-readable explanation.
        details: Extra context.

    Returns:
        The JSON response, carrying ``X-Correlation-ID``.
    """
    correlation_id = getattr(request.state, "correlation_id", None)
    body = ErrorResponse(
        code=code, message=message, details=details or {}, correlation_id=correlation_id
    )
    headers = {CORRELATION_ID_HEADER: correlation_id} if correlation_id else None
    return JSONResponse(
        body.model_dump(mode="json"), status_code=status, headers=headers
    )


async def handle_app_error(request: Request, exc: Exception) -> JSONResponse:
    """Map a domain error to its status code.

    Args:
        request: The request.
        exc: The ``AppError``.

    Returns:
        The error response.
    """
    error = exc if isinstance(exc, AppError) else AppError(str(exc))
    return error_response(
        request,
        error.status_code,
        code=error.code,
        message=error.message,
        details=error.details,
    )


async def handle_validation_error(request: Request, exc: Exception) -> JSONResponse:
    """Answer 422 with Pydantic's error list as details.

    Args:
        request: The request.
        exc: The ``RequestValidationError``.

    Returns:
        The error response.
    """
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    return error_response(
        request,
        HTTPStatus.UNPROCESSABLE_ENTITY,
        code="validation_error",
        message="The request is invalid",
        details=jsonable_encoder(errors, exclude={"input", "ctx", "url"}),
    )


async def handle_http_error(request: Request, exc: Exception) -> JSONResponse:
    """Wrap Starlette's HTTP errors (unknown route, wrong method) in our body.

    Args:
        request: The request.
        exc: The ``HTTPException``.

    Returns:
        The error response.
    """
    status = exc.status_code if isinstance(exc, StarletteHTTPException) else 500
    code = _HTTP_CODES.get(HTTPStatus(status), "http_error")
    message = getattr(exc, "detail", None) or HTTPStatus(status).phrase
    return error_response(request, status, code=code, message=str(message))


async def handle_unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    """Log the failure and answer 500 without leaking internals.

    Args:
        request: The request.
        exc: The unhandled exception.

    Returns:
        The error response.
    """
    logger.error(
        "unhandled_error",
        exc_info=exc,
        extra={"correlation_id": getattr(request.state, "correlation_id", None)},
    )
    return error_response(
        request,
        HTTPStatus.INTERNAL_SERVER_ERROR,
        code="internal_error",
        message="An unexpected error occurred",
    )


def register_exception_handlers(app: FastAPI) -> None:
    """Install every handler on ``app``.

    Args:
        app: The application.
    """
    app.add_exception_handler(AppError, handle_app_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_error)
    app.add_exception_handler(Exception, handle_unexpected_error)
