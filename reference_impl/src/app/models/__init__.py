"""SQLAlchemy ORM models; importing this package registers every table."""

from app.models.base import Base
from app.models.order import Order, OrderItem, OrderStatus
from app.models.outbox import OutboxEvent
from app.models.processed_event import ProcessedEvent

__all__ = ["Base", "Order", "OrderItem", "OrderStatus", "OutboxEvent", "ProcessedEvent"]
