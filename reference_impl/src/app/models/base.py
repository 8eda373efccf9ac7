"""Declarative base with a constraint naming convention."""

from __future__ import annotations

from datetime import datetime
from types import MappingProxyType

from sqlalchemy import DateTime, MetaData, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class of every ORM model; owns the shared metadata.

    ``eager_defaults`` fetches server-generated values (timestamps) with
    ``RETURNING`` on INSERT/UPDATE, saving a refresh round trip.
    """

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    __mapper_args__ = MappingProxyType({"eager_defaults": True})


class TimestampMixin:
    """Adds ``created_at`` / ``updated_at`` maintained by the database."""

    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
