"""Exception handlers: one ``ErrorOut`` body for every error."""

import structlog
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from app.exceptions import InventoryError
from app.schemas.items import ErrorOut

log = structlog.get_logger(__name__)


def error(status: int, detail: str | list[dict[str, object]]) -> JSONResponse:
    """Render an ``ErrorOut`` carrying the correlation id."""
    correlation_id = structlog.contextvars.get_contextvars().get("correlation_id")
    body = ErrorOut(detail=detail, status=status, correlation_id=correlation_id)
    return JSONResponse(jsonable_encoder(body), status_code=status)


async def inventory_error(_: Request, exc: Exception) -> JSONResponse:
    """Domain errors carry their own status."""
    status = exc.status if isinstance(exc, InventoryError) else 500
    return error(status, str(exc))


async def validation_error(_: Request, exc: Exception) -> JSONResponse:
    """422 with the validation problems."""
    problems = exc.errors() if isinstance(exc, RequestValidationError) else []
    return error(422, [{"loc": list(p["loc"]), "msg": p["msg"]} for p in problems])


async def http_error(_: Request, exc: Exception) -> JSONResponse:
    """Framework HTTP errors (404 route, 405) in the same shape."""
    if isinstance(exc, HTTPException):
        return error(exc.status_code, str(exc.detail))
    return error(500, "internal error")


async def unexpected_error(_: Request, exc: Exception) -> JSONResponse:
    """Anything else: logged, answered with a bare 500."""
    log.error("unhandled_exception", exc_info=exc)
    return error(500, "internal error")


def install(app: FastAPI) -> None:
    """Register the handlers."""
    app.add_exception_handler(InventoryError, inventory_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)
