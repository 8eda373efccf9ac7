"""Products, reservations, the outbox and the handled-event ledger."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    """Declarative base of the inventory schema."""


class Product(Base):
    """A stock-keeping unit and its quantity on hand."""

    __tablename__ = "products"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    on_hand: Mapped[int]
    reservations: Mapped[list["Reservation"]] = relationship(back_populates="product")


class Reservation(Base):
    """Stock held for an order."""

    __tablename__ = "reservations"
    __table_args__ = (Index("ix_reservations_order_ref", "order_ref"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id"), index=True)
    order_ref: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int]
    product: Mapped[Product] = relationship(back_populates="reservations")


class OutboxRecord(Base):
    """An event pending publication."""

    __tablename__ = "outbox_records"
    __table_args__ = (
        Index("ix_outbox_records_unpublished", "id", postgresql_where="published IS false"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    topic: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(100))
    value: Mapped[dict[str, Any]] = mapped_column(JSONB)
    published: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class HandledEvent(Base):
    """Ids of consumed events; the primary key makes redelivery a no-op."""

    __tablename__ = "handled_events"

    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    handled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
