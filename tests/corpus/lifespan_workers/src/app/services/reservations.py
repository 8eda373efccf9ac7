"""Reserving stock for placed orders, exactly once per event."""

from app.core.database import Sessions, session_scope
from app.exceptions import InsufficientStock, ProductNotFound
from app.repositories.events import EventStore
from app.repositories.stock import StockRepository
from app.schemas.messages import OrderPlacedEvent, StockEvent


async def reserve_for_order(sessions: Sessions, event: OrderPlacedEvent, topic: str) -> bool:
    """Reserve stock for ``event`` and queue a ``stock.reserved`` event.

    Returns:
        False when the event was already handled.

    Raises:
        ProductNotFound: If the SKU is unknown.
        InsufficientStock: If too little is on hand.
    """
    async with session_scope(sessions) as session:
        events = EventStore(session)
        if not await events.first_delivery(event.event_id, "orders"):
            return False
        stock = StockRepository(session)
        product = await stock.by_sku_for_update(event.sku)
        if product is None:
            raise ProductNotFound(f"unknown SKU {event.sku}")
        if product.on_hand < event.quantity:
            raise InsufficientStock(f"{event.sku}: {product.on_hand} < {event.quantity}")
        stock.reserve(product, event.order_ref, event.quantity)
        reserved = StockEvent(kind="stock.reserved", sku=product.sku, on_hand=product.on_hand)
        events.add_outgoing(topic, product.sku, reserved.model_dump(mode="json"))
    return True
