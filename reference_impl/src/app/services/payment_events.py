"""Applies payment results from ``payments.v1`` to orders, idempotently."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.database import SessionFactory, session_scope
from app.repositories.processed_events import ProcessedEventRepository
from app.schemas.events import (
    EventEnvelope,
    PaymentFailedPayload,
    PaymentPayload,
)
from app.services.orders import PaymentResult, create_order_service

logger = logging.getLogger(__name__)


class ProcessingOutcome(StrEnum):
    """What happened to one consumed event."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"


class PaymentEventService:
    """Applies payment events idempotently.

    The processed-event row, the order's new status and the resulting
    ``OrderConfirmed``/``OrderRejected`` outbox row commit together, so a
    redelivered event is detected by its id and changes nothing.
    """

    def __init__(self, *, session_factory: SessionFactory, orders_topic: str) -> None:
        """Initialise the service.

        Args:
            session_factory: Opens one session per event.
            orders_topic: Topic the resulting order events go to.
        """
        self._sessions = session_factory
        self._orders_topic = orders_topic

    async def handle(
        self, *, envelope: EventEnvelope, payload: PaymentPayload, topic: str
    ) -> ProcessingOutcome:
        """Apply one payment result in its own transaction.

        Args:
            envelope: The validated envelope.
            payload: Its validated payload.
            topic: Topic the event came from.

        Returns:
            The outcome.

        Raises:
            OrderNotFoundError: When the order does not exist (not retryable).
        """
        async with session_scope(self._sessions) as session:
            return await self._apply(session, envelope, payload, topic)

    async def handle_batch(
        self, *, events: Sequence[tuple[EventEnvelope, PaymentPayload]], topic: str
    ) -> list[ProcessingOutcome]:
        """Apply several payment results in one transaction (all or nothing).

        Set-based: one insert records every new event id (ids already
        recorded are skipped), one query locks the orders, one batched update
        writes their statuses and the events are staged together, under one
        commit.
        If anything fails the whole batch rolls back and the caller falls
        back to :meth:`handle` for each event.

        Args:
            events: Validated envelopes and payloads, in partition order.
            topic: Topic the events came from.

        Returns:
            One outcome per event.
        """
        async with session_scope(self._sessions) as session:
            return await self._apply_batch(session, events, topic)

    async def _apply_batch(
        self,
        session: AsyncSession,
        events: Sequence[tuple[EventEnvelope, PaymentPayload]],
        topic: str,
    ) -> list[ProcessingOutcome]:
        """Record all event ids at once, then apply the new ones set-based."""
        fresh = await _record_first_sightings(session, events, topic)
        service = create_order_service(session, orders_topic=self._orders_topic)
        results = [
            _payment_result(*event)
            for event, new in zip(events, fresh, strict=True)
            if new
        ]
        applied = iter(await service.apply_payment_results(results))
        return [
            _applied_or_ignored(next(applied)) if new else ProcessingOutcome.DUPLICATE
            for new in fresh
        ]

    async def _apply(
        self,
        session: AsyncSession,
        envelope: EventEnvelope,
        payload: PaymentPayload,
        topic: str,
    ) -> ProcessingOutcome:
        """Record the event id and, if it is new, apply the payment result."""
        is_new = await ProcessedEventRepository(session).record(
            event_id=envelope.event_id, event_type=envelope.event_type, topic=topic
        )
        if not is_new:
            return ProcessingOutcome.DUPLICATE
        service = create_order_service(session, orders_topic=self._orders_topic)
        order = await service.apply_payment_result(
            order_id=payload.order_id,
            payment_id=payload.payment_id,
            reason=_failure_reason(payload),
            correlation_id=envelope.correlation_id,
        )
        return _applied_or_ignored(order is not None)


def _failure_reason(payload: PaymentPayload) -> str | None:
    """Return the failure reason, or ``None`` for a successful payment."""
    return payload.reason if isinstance(payload, PaymentFailedPayload) else None


def _payment_result(envelope: EventEnvelope, payload: PaymentPayload) -> PaymentResult:
    """The order-level payment result an event carries."""
    return PaymentResult(
        order_id=payload.order_id,
        payment_id=payload.payment_id,
        reason=_failure_reason(payload),
        correlation_id=envelope.correlation_id,
    )


async def _record_first_sightings(
    session: AsyncSession,
    events: Sequence[tuple[EventEnvelope, PaymentPayload]],
    topic: str,
) -> list[bool]:
    """Record every event id in one statement; flag each event's first delivery."""
    new_ids = await ProcessedEventRepository(session).record_many(
        [(envelope.event_id, envelope.event_type) for envelope, _ in events],
        topic=topic,
    )
    return _first_sightings(events, new_ids)


def _first_sightings(
    events: Sequence[tuple[EventEnvelope, PaymentPayload]], new_ids: set[uuid.UUID]
) -> list[bool]:
    """Per event, whether it is the first delivery of a newly recorded id.

    A duplicate inside the same batch counts as a duplicate too.
    """
    unseen = set(new_ids)
    flags = []
    for envelope, _ in events:
        flags.append(envelope.event_id in unseen)
        unseen.discard(envelope.event_id)
    return flags


def _applied_or_ignored(applied: bool) -> ProcessingOutcome:
    """Outcome of a new event: applied, or ignored (order no longer PENDING)."""
    return ProcessingOutcome.APPLIED if applied else ProcessingOutcome.IGNORED
