"""Draining the outbox to Kafka."""

import asyncio
import contextlib
from typing import Any, Protocol

from app.core.database import transaction
from app.exceptions import DeliveryError
from app.repositories.messaging import lock_unsent, mark_sent


class Sender(Protocol):
    """The producer side the relay needs."""

    async def send(self, topic: str, key: str, body: dict[str, Any]) -> None:
        """Deliver one event or raise :class:`DeliveryError`."""


async def drain_once(sender: Sender, batch: int) -> int:
    """Send up to ``batch`` entries; stop at the first failure.

    Returns:
        How many entries were delivered and stamped.
    """
    async with transaction() as session:
        delivered: list[int] = []
        for entry in await lock_unsent(session, batch):
            try:
                await sender.send(entry.topic, entry.partition_key, entry.body)
            except DeliveryError:
                break
            delivered.append(entry.id)
        if delivered:
            await mark_sent(session, delivered)
    return len(delivered)


async def drain_until(
    sender: Sender, stop: asyncio.Event, batch: int, idle_s: float
) -> None:
    """Drain repeatedly until ``stop`` is set, idling when nothing was sent."""
    while not stop.is_set():
        if await drain_once(sender, batch) == 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), idle_s)
