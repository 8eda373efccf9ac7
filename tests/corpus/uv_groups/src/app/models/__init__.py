"""ORM models."""

from app.models.inventory import Base, StockItem, Warehouse
from app.models.messaging import HandledEvent, PendingMessage

__all__ = ["Base", "HandledEvent", "PendingMessage", "StockItem", "Warehouse"]
