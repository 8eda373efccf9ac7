"""Registering and reading products."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.exceptions import ProductNotFound
from app.models import Product
from app.repositories.events import EventStore
from app.repositories.stock import StockRepository
from app.schemas.messages import StockEvent
from app.schemas.products import NewProduct, ProductOut


class ProductCatalog:
    """Product use cases inside the caller's transaction."""

    def __init__(self, session: AsyncSession, topic: str) -> None:
        """Use ``session``; stock events go to ``topic``."""
        self.stock = StockRepository(session)
        self.events = EventStore(session)
        self.topic = topic

    async def register(self, data: NewProduct) -> ProductOut:
        """Create a product and queue a ``product.registered`` event."""
        product = await self.stock.create(Product(**data.model_dump()))
        event = StockEvent(kind="product.registered", sku=product.sku, on_hand=product.on_hand)
        self.events.add_outgoing(self.topic, product.sku, event.model_dump(mode="json"))
        return ProductOut.model_validate(product)

    async def get(self, product_id: uuid.UUID) -> ProductOut:
        """One product.

        Raises:
            ProductNotFound: If the id is unknown.
        """
        product = await self.stock.by_id(product_id)
        if product is None:
            raise ProductNotFound(f"product {product_id} not found")
        return ProductOut.model_validate(product)

    async def listing(self, limit: int) -> list[ProductOut]:
        """Products in SKU order."""
        return [ProductOut.model_validate(p) for p in await self.stock.all(limit)]
