"""One error body for domain errors, HTTP errors and validation errors."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.logging import request_correlation
from app.exceptions import BookingError


def problem(status: int, code: str, message: str, details: Any = None) -> JSONResponse:
    """Build the shared error response."""
    content = {
        "code": code,
        "message": message,
        "correlation_id": request_correlation.get(),
        "details": details,
    }
    return JSONResponse(jsonable_encoder(content), status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(BookingError)
    async def _domain(_: Request, exc: BookingError) -> JSONResponse:
        return problem(exc.http_status, exc.code, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return problem(422, "invalid_request", "validation failed", exc.errors())

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, "http_error", str(exc.detail))
