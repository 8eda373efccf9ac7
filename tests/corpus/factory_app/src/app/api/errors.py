"""Exception handlers giving every error the same JSON body."""

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from app.core.logging import correlation_id
from app.exceptions import InvoiceServiceError


def error_response(
    status: int, code: str, message: str, details: list[dict[str, object]] | None = None
) -> JSONResponse:
    """Build the shared error body."""
    body = {
        "error": {
            "code": code,
            "message": message,
            "correlation_id": correlation_id.get(),
            "details": details or [],
        }
    }
    return JSONResponse(status_code=status, content=jsonable_encoder(body))


async def on_service_error(_: Request, exc: Exception) -> JSONResponse:
    """Map a domain error to its status code."""
    if isinstance(exc, InvoiceServiceError):
        return error_response(exc.status_code, exc.code, exc.message)
    return error_response(500, "internal_error", "unexpected error")


async def on_validation_error(_: Request, exc: Exception) -> JSONResponse:
    """Answer 422 with the validation errors."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    return error_response(422, "validation_error", "request is invalid", list(errors))


async def on_http_error(_: Request, exc: Exception) -> JSONResponse:
    """Wrap Starlette's HTTP errors (unknown route, wrong method)."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    return error_response(status, "http_error", str(getattr(exc, "detail", exc)))


def register_error_handlers(app: FastAPI) -> None:
    """Install the handlers on ``app``."""
    app.add_exception_handler(InvoiceServiceError, on_service_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(HTTPException, on_http_error)
