"""Invoice endpoints."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from app.api.dependencies import Invoices
from app.schemas.common import ErrorBody
from app.schemas.invoices import InvoiceCreate, InvoiceOut, InvoicePage

router = APIRouter(prefix="/invoices", tags=["invoices"])

INVALID: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorBody, "description": "The request is invalid"}
}
MISSING: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No invoice has this id"}
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Issue an invoice",
    description="Stores the invoice and stages its `invoice.issued` outbox event.",
    responses=INVALID,
)
async def issue_invoice(body: InvoiceCreate, service: Invoices) -> InvoiceOut:
    """Issue a new invoice."""
    return await service.issue(body)


@router.get(
    "",
    summary="List invoices",
    description="Returns the most recent invoices, newest first.",
    responses=INVALID,
)
async def list_invoices(
    service: Invoices, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> InvoicePage:
    """List recent invoices."""
    return InvoicePage(items=await service.recent(limit), limit=limit)


@router.get(
    "/{invoice_id}",
    summary="Get an invoice",
    description="Returns one invoice with its lines.",
    responses={**MISSING, **INVALID},
)
async def get_invoice(invoice_id: uuid.UUID, service: Invoices) -> InvoiceOut:
    """Fetch one invoice by id."""
    return await service.find(invoice_id)
