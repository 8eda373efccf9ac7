"""The ``items`` table as an ORM entity, its needed columns and the response model."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Numeric  # type: ignore[import-not-found, unused-ignore]
from sqlalchemy.orm import (  # type: ignore[import-not-found, unused-ignore]
    DeclarativeBase,
    Mapped,
    mapped_column,
)


class Base(DeclarativeBase):  # type: ignore[misc, unused-ignore]
    """Declarative base of the lab's entities."""


class Item(Base):  # type: ignore[misc, unused-ignore]
    """One row of ``items`` (10 columns; see :mod:`evals.perf_lab.schema`)."""

    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str]
    name: Mapped[str]
    description: Mapped[str]
    category: Mapped[str]
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    quantity: Mapped[int]
    active: Mapped[bool]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ItemOut(BaseModel):
    """The response body of ``GET /items/{id}``: 8 of the 10 columns."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    sku: str
    name: str
    category: str
    price: Decimal
    quantity: int
    active: bool
    updated_at: datetime


NEEDED_COLUMNS = tuple(getattr(Item, field) for field in ItemOut.model_fields)
