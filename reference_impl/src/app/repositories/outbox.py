"""Outbox rows: staged by services, claimed and settled by the relay."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import ScalarSelect, func, insert, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.outbox import OutboxEvent

# The create hot path writes its event with one Core INSERT (no ORM flush).
_INSERT_EVENT = insert(OutboxEvent)
_INSERTED_COLUMNS = ("id", "topic", "key", "event_type", "payload", "correlation_id")


class OutboxRepository:
    """Data access for ``outbox_events`` within the caller's session."""

    def __init__(self, session: AsyncSession) -> None:
        """Initialise the repository.

        Args:
            session: The unit-of-work session.
        """
        self._session = session

    def add(self, event: OutboxEvent) -> None:
        """Stage an event in the same transaction as the state change.

        Args:
            event: The outbox row to insert on flush/commit.
        """
        self._session.add(event)

    async def insert(self, event: OutboxEvent) -> None:
        """Insert an event now with one plain statement, in the same transaction.

        Cheaper than :meth:`add` (no unit of work); the row's server-side
        columns are not read back.

        Args:
            event: The outbox row to insert.
        """
        row = {name: getattr(event, name) for name in _INSERTED_COLUMNS}
        await self._session.execute(_INSERT_EVENT, [row])

    async def claim_batch(
        self, *, limit: int, lease: timedelta, token: uuid.UUID
    ) -> list[OutboxEvent]:
        """Lease up to ``limit`` unsent rows, oldest first.

        ``FOR UPDATE SKIP LOCKED`` lets several relays claim disjoint batches;
        the lease token stops a relay whose lease expired from settling rows
        that another relay has since re-claimed.

        Args:
            limit: Maximum rows to claim.
            lease: How long the claim is exclusive.
            token: This claim's lease token.

        Returns:
            The claimed rows ordered by creation time.
        """
        statement = (
            update(OutboxEvent)
            .where(OutboxEvent.id.in_(_claimable_ids(limit)))
            .values(
                locked_until=func.now() + lease,
                lease_token=token,
                attempts=OutboxEvent.attempts + 1,
            )
            .returning(OutboxEvent)
            .execution_options(populate_existing=True, synchronize_session=False)
        )
        result = await self._session.execute(statement)
        return sorted(result.scalars().all(), key=lambda row: row.created_at)

    async def mark_sent(self, ids: list[uuid.UUID], *, token: uuid.UUID) -> int:
        """Mark published rows as sent, if this relay still holds their lease.

        Args:
            ids: Ids of rows that Kafka acknowledged.
            token: The lease token used to claim them.

        Returns:
            Number of rows marked.
        """
        statement = (
            update(OutboxEvent)
            .where(OutboxEvent.id.in_(ids), OutboxEvent.lease_token == token)
            .values(sent_at=func.now(), locked_until=None, last_error=None)
        )
        result = cast(CursorResult[Any], await self._session.execute(statement))
        return int(result.rowcount)

    async def release(
        self, ids: list[uuid.UUID], *, token: uuid.UUID, error: str
    ) -> None:
        """Give rows back for another attempt after a failed publish.

        Args:
            ids: Ids of rows that were not acknowledged.
            token: The lease token used to claim them.
            error: Why publishing failed (kept for operators).
        """
        statement = (
            update(OutboxEvent)
            .where(OutboxEvent.id.in_(ids), OutboxEvent.lease_token == token)
            .values(locked_until=None, last_error=error[:2000])
        )
        await self._session.execute(statement)

    async def count_unsent(self) -> int:
        """Count rows not yet published.

        Returns:
            The backlog size.
        """
        statement = select(func.count()).where(OutboxEvent.sent_at.is_(None))
        return int((await self._session.execute(statement)).scalar_one())


def _claimable_ids(limit: int) -> ScalarSelect[uuid.UUID]:
    """Oldest unsent, unleased ids, skipping rows other relays have locked."""
    return (
        select(OutboxEvent.id)
        .where(OutboxEvent.sent_at.is_(None))
        .where(
            (OutboxEvent.locked_until.is_(None))
            | (OutboxEvent.locked_until < func.now())
        )
        .order_by(OutboxEvent.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
