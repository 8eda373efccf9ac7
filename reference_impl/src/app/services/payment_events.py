"""Applies payment results from ``payments.v1`` to orders, idempotently."""

from __future__ import annotations

import logging
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
from app.services.orders import create_order_service

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

        One commit per batch instead of per event is what makes the consumer
        fast; if any event fails the whole batch rolls back and the caller
        falls back to :meth:`handle` for each event.

        Args:
            events: Validated envelopes and payloads, in partition order.
            topic: Topic the events came from.

        Returns:
            One outcome per event.
        """
        async with session_scope(self._sessions) as session:
            return [await self._apply(session, e, p, topic) for e, p in events]

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
        return ProcessingOutcome.APPLIED if order else ProcessingOutcome.IGNORED


def _failure_reason(payload: PaymentPayload) -> str | None:
    """Return the failure reason, or ``None`` for a successful payment."""
    return payload.reason if isinstance(payload, PaymentFailedPayload) else None
