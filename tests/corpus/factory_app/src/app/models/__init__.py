"""SQLAlchemy models of the invoice service."""

from app.models.base import Base
from app.models.invoice import Invoice, InvoiceLine
from app.models.messaging import OutboxMessage, ProcessedEvent

__all__ = ["Base", "Invoice", "InvoiceLine", "OutboxMessage", "ProcessedEvent"]
