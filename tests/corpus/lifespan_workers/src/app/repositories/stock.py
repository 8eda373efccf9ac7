"""Product and reservation statements."""

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.exceptions import DuplicateSku
from app.models import Product, Reservation


class StockRepository:
    """Products and reservations in one session."""

    def __init__(self, session: AsyncSession) -> None:
        """Bind to ``session``."""
        self.session = session

    async def create(self, product: Product) -> Product:
        """Insert a product.

        Raises:
            DuplicateSku: If the SKU is taken.
        """
        self.session.add(product)
        try:
            await self.session.flush()
        except IntegrityError as exc:
            raise DuplicateSku(f"SKU {product.sku} already exists") from exc
        return product

    async def by_id(self, product_id: uuid.UUID) -> Product | None:
        """Product by primary key."""
        return await self.session.get(Product, product_id)

    async def by_sku_for_update(self, sku: str) -> Product | None:
        """Product by SKU, row-locked for the transaction."""
        query = select(Product).where(Product.sku == sku).with_for_update()
        return await self.session.scalar(query)

    async def all(self, limit: int) -> list[Product]:
        """Products ordered by SKU."""
        rows = await self.session.scalars(select(Product).order_by(Product.sku).limit(limit))
        return list(rows)

    def reserve(self, product: Product, order_ref: str, quantity: int) -> None:
        """Record a reservation and take it off the stock on hand."""
        product.on_hand -= quantity
        self.session.add(Reservation(product=product, order_ref=order_ref, quantity=quantity))
