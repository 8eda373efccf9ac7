"""Exception handlers: every error is an ``ErrorEnvelope``."""

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from app.core.logging import CORRELATION_ID
from app.exceptions import InventoryError
from app.schemas.errors import ErrorEnvelope


def envelope(status: int, kind: str, title: str, errors: list[dict[str, object]]) -> JSONResponse:
    """Render the error envelope."""
    body = ErrorEnvelope(
        type=kind, title=title, correlation_id=CORRELATION_ID.get() or None, errors=errors
    )
    return JSONResponse(jsonable_encoder(body), status_code=status)


async def inventory_error(_: Request, exc: InventoryError) -> JSONResponse:
    """Domain errors keep their own status."""
    return envelope(exc.status, exc.kind, str(exc), [])


async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
    """Invalid requests are 422 with the validation details."""
    return envelope(422, "validation_error", "Request validation failed", list(exc.errors()))


async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
    """Framework HTTP errors (unknown path, method not allowed)."""
    return envelope(exc.status_code, "http_error", str(exc.detail), [])


def add_exception_handlers(app: FastAPI) -> None:
    """Register the handlers."""
    app.add_exception_handler(InventoryError, inventory_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, http_error)  # type: ignore[arg-type]
