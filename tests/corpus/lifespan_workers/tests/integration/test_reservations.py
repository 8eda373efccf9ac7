"""Stock reservation rules and idempotency."""

import uuid

import pytest

from app.core.database import Sessions, session_scope
from app.exceptions import InsufficientStock, ProductNotFound
from app.schemas.messages import OrderPlacedEvent
from app.schemas.products import NewProduct
from app.services.catalog import ProductCatalog
from app.services.outbox_relay import publish_pending
from app.services.reservations import reserve_for_order


class Sink:
    def __init__(self, accept: bool) -> None:
        self.accept = accept
        self.topics: list[str] = []

    async def publish(self, topic: str, key: str, value: dict[str, object]) -> bool:
        self.topics.append(topic)
        return self.accept


async def _product(sessions: Sessions, on_hand: int) -> str:
    sku = f"SKU-{uuid.uuid4().hex[:8].upper()}"
    async with session_scope(sessions) as session:
        await ProductCatalog(session, "inventory.v1").register(
            NewProduct(sku=sku, name="Gear", on_hand=on_hand)
        )
    return sku


def _order(sku: str, quantity: int) -> OrderPlacedEvent:
    return OrderPlacedEvent(event_id=uuid.uuid4(), order_ref="o", sku=sku, quantity=quantity)


async def test_reserve_once(sessions: Sessions) -> None:
    sku = await _product(sessions, 5)
    event = _order(sku, 2)
    assert await reserve_for_order(sessions, event, "inventory.v1")
    assert not await reserve_for_order(sessions, event, "inventory.v1")
    with pytest.raises(InsufficientStock):
        await reserve_for_order(sessions, _order(sku, 4), "inventory.v1")
    with pytest.raises(ProductNotFound):
        await reserve_for_order(sessions, _order("NOPE", 1), "inventory.v1")


async def test_outbox_stops_at_failed_delivery(sessions: Sessions) -> None:
    await _product(sessions, 1)
    failing = Sink(accept=False)
    assert await publish_pending(sessions, failing, 10) == 0
    assert failing.topics == ["inventory.v1"]
    assert await publish_pending(sessions, Sink(accept=True), 1000) >= 1
