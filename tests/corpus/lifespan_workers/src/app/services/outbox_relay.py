"""Publishing outbox records."""

from typing import Any, Protocol

from app.core.database import Sessions, session_scope
from app.repositories.events import EventStore


class EventSink(Protocol):
    """Destination of outbox records."""

    async def publish(self, topic: str, key: str, value: dict[str, Any]) -> bool:
        """Deliver one event; False when it could not be delivered."""


async def publish_pending(sessions: Sessions, sink: EventSink, batch_size: int) -> int:
    """Publish up to ``batch_size`` records in order, stopping at the first failure.

    Returns:
        The number of records published.
    """
    async with session_scope(sessions) as session:
        store = EventStore(session)
        done: list[int] = []
        for record in await store.next_outgoing(batch_size):
            if not await sink.publish(record.topic, record.key, record.value):
                break
            done.append(record.id)
        if done:
            await store.mark_published(done)
    return len(done)
