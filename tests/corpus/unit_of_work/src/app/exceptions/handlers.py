"""Handlers rendering every error as ``{"type", "title", "status", "request_id"}``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.logging import REQUEST_ID
from app.exceptions.errors import NotesError

log = logging.getLogger(__name__)


def problem(status_code: int, error_type: str, title: str, **extra: object) -> JSONResponse:
    """A problem document with the request's correlation id."""
    body = {
        "type": error_type,
        "title": title,
        "status": status_code,
        "request_id": REQUEST_ID.get(),
        "errors": extra.get("errors", []),
    }
    return JSONResponse(body, status_code=status_code)


def register_error_handlers(app: FastAPI) -> None:
    """Attach the handlers to ``app``."""

    @app.exception_handler(NotesError)
    async def notes_error(_: Request, exc: NotesError) -> JSONResponse:
        return problem(exc.http_status, exc.error_type, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": ".".join(map(str, e["loc"])), "issue": e["msg"]} for e in exc.errors()]
        return problem(422, "validation_failed", "invalid request", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, "http_error", str(exc.detail))

    @app.exception_handler(Exception)
    async def crash(_: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled exception", exc_info=exc)
        return problem(status.HTTP_500_INTERNAL_SERVER_ERROR, "internal", "internal error")
