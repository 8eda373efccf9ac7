"""Mapped classes of the inventory schema."""

from app.models.entities import Base, HandledEvent, OutboxRecord, Product, Reservation

__all__ = ["Base", "HandledEvent", "OutboxRecord", "Product", "Reservation"]
