"""Outbox relay: publishes committed outbox rows to Kafka exactly once per row."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import timedelta

from prometheus_client import Counter

from app.core.database import SessionFactory, session_scope
from app.models.outbox import OutboxEvent
from app.repositories.outbox import OutboxRepository
from app.services.ports import (
    CORRELATION_HEADER,
    BatchPublisher,
    OutgoingMessage,
    PublishResult,
)

logger = logging.getLogger(__name__)

PUBLISHED = Counter("order_outbox_published_total", "Outbox events published.")
PUBLISH_FAILURES = Counter(
    "order_outbox_publish_failures_total", "Outbox events whose publish failed."
)


def to_message(event: OutboxEvent) -> OutgoingMessage:
    """Turn an outbox row into a Kafka record (key = aggregate id).

    Args:
        event: The outbox row.

    Returns:
        The record with event-type and correlation-id headers.
    """
    headers = [("event_type", event.event_type.encode())]
    if event.correlation_id:
        headers.append((CORRELATION_HEADER, event.correlation_id.encode()))
    return OutgoingMessage(
        message_id=event.id,
        topic=event.topic,
        key=event.key.encode(),
        value=json.dumps(event.payload, separators=(",", ":")).encode(),
        headers=headers,
    )


class OutboxRelay:
    """Claims unsent rows, publishes them, then marks them sent.

    Each batch is claimed in its own short transaction with a lease, so
    several relays can run side by side and a crashed relay's rows become
    claimable again once the lease expires. A row is marked sent only after
    Kafka acknowledged it (at-least-once; consumers dedupe by event id).
    """

    def __init__(
        self,
        *,
        session_factory: SessionFactory,
        publisher: BatchPublisher,
        batch_size: int,
        lease_s: float,
    ) -> None:
        """Initialise the relay.

        Args:
            session_factory: Opens one session per transaction.
            publisher: Publishes the records.
            batch_size: Maximum rows per claim.
            lease_s: Seconds a claim stays exclusive.
        """
        self._sessions = session_factory
        self._publisher = publisher
        self._batch_size = batch_size
        self._lease = timedelta(seconds=lease_s)

    async def publish_pending_events(self) -> int:
        """Publish one batch of pending events.

        Returns:
            Number of events published and marked sent.
        """
        token = uuid.uuid4()
        async with session_scope(self._sessions) as session:
            events = await OutboxRepository(session).claim_batch(
                limit=self._batch_size, lease=self._lease, token=token
            )
        if not events:
            return 0
        results = await self._publisher.publish_many([to_message(e) for e in events])
        return await self._settle(results, token)

    async def _settle(self, results: list[PublishResult], token: uuid.UUID) -> int:
        """Mark acknowledged rows sent and release the rest for a retry."""
        sent = [r.message_id for r in results if r.error is None]
        failed = [r for r in results if r.error is not None]
        async with session_scope(self._sessions) as session:
            repository = OutboxRepository(session)
            marked = await repository.mark_sent(sent, token=token) if sent else 0
            if failed:
                await repository.release(
                    [r.message_id for r in failed],
                    token=token,
                    error=str(failed[0].error),
                )
        PUBLISHED.inc(marked)
        if failed:
            PUBLISH_FAILURES.inc(len(failed))
            logger.warning(
                "outbox_publish_failed",
                extra={"failed": len(failed), "sent": marked, "error": failed[0].error},
            )
        return marked
