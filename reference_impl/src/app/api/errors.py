"""Global exception handlers: every error leaves as one ``ErrorResponse``.

Unexpected exceptions are answered by :class:`UnexpectedErrorMiddleware`, a
pure ASGI middleware inside the application, not by an ``Exception`` handler:
Starlette runs such a handler in its outermost ``ServerErrorMiddleware``,
which re-raises after sending the 500, and uvicorn then drops the keep-alive
connection under the client's feet.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.logging import CORRELATION_ID_HEADER
from app.exceptions import AppError
from app.schemas.errors import ErrorResponse

logger = logging.getLogger(__name__)

_UNPARSEABLE_BODY = {
    "type": "json_invalid",
    "loc": ["body"],
    "msg": "The request body is not valid UTF-8 JSON",
}
_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
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
    return JSONResponse(body.model_dump(mode="json"), status, headers=headers)


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
    return _validation_response(
        request, jsonable_encoder(errors, exclude={"input", "ctx", "url"})
    )


def _validation_response(request: Request, details: Any) -> JSONResponse:
    """The 422 ``validation_error`` response with ``details``."""
    return error_response(
        request,
        HTTPStatus.UNPROCESSABLE_ENTITY,
        code="validation_error",
        message="The request is invalid",
        details=details,
    )


async def handle_http_error(request: Request, exc: Exception) -> JSONResponse:
    """Wrap Starlette's HTTP errors (unknown route, wrong method) in our body.

    A 405 lists every allowed method in ``Allow``. The framework's only 400 is
    a body it could not parse (not UTF-8): that is answered like any other
    invalid body, 422 ``validation_error``.

    Args:
        request: The request.
        exc: The ``HTTPException``.

    Returns:
        The error response.
    """
    status = exc.status_code if isinstance(exc, StarletteHTTPException) else 500
    if status == HTTPStatus.BAD_REQUEST:
        return _validation_response(request, [_UNPARSEABLE_BODY])
    code = _HTTP_CODES.get(HTTPStatus(status), "http_error")
    message = getattr(exc, "detail", None) or HTTPStatus(status).phrase
    response = error_response(request, status, code=code, message=str(message))
    if status == HTTPStatus.METHOD_NOT_ALLOWED:
        response.headers["Allow"] = allowed_methods(request)
    return response


def allowed_methods(request: Request) -> str:
    """The ``Allow`` value of a 405: every method some route of the path takes.

    Starlette's own header names only the first route that matched the path,
    and there is one route per method.

    Args:
        request: The request whose method no route of its path takes.

    Returns:
        The methods, comma-separated and sorted.
    """
    routes = request.app.routes
    allowed = [
        method
        for method in _METHODS
        if any(_takes(route, request.scope, method) for route in routes)
    ]
    return ", ".join(allowed)


def _takes(route: BaseRoute, scope: Scope, method: str) -> bool:
    """Whether ``route`` fully matches the request's path with ``method``."""
    match, _ = route.matches({**scope, "method": method})
    return match == Match.FULL


def unexpected_error_response(request: Request, exc: Exception) -> JSONResponse:
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


class UnexpectedErrorMiddleware:
    """Answers any unhandled exception with the JSON 500, keeping the connection.

    Installed inside the correlation-id middleware, so the 500 carries the
    request's correlation id and is access-logged like any other response.
    """

    def __init__(self, app: ASGIApp) -> None:
        """Wrap ``app``.

        Args:
            app: The downstream ASGI application.
        """
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request; answer 500 if it raises before responding.

        Args:
            scope: Connection scope.
            receive: ASGI receive callable.
            send: ASGI send callable.

        Raises:
            Exception: Re-raised only when the response had already started
                (nothing else can be sent on that connection then).
        """
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started: list[bool] = []

        async def tracking_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                started.append(True)
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                raise
            response = unexpected_error_response(Request(scope), exc)
            await response(scope, receive, send)
