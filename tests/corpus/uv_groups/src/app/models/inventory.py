"""Warehouses and the stock items they hold."""

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    """Declarative base."""


class Warehouse(Base):
    """A storage location identified by a short code."""

    __tablename__ = "warehouse"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    items: Mapped[list["StockItem"]] = relationship(back_populates="warehouse")


class StockItem(Base):
    """Quantity on hand of one SKU in one warehouse."""

    __tablename__ = "stock_item"
    __table_args__ = (CheckConstraint("quantity >= 0", name="ck_stock_item_quantity"),)

    sku: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    quantity: Mapped[int] = mapped_column(default=0)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), index=True)
    warehouse: Mapped[Warehouse] = relationship(back_populates="items", lazy="joined")
