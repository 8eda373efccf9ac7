"""The reply consumer against a real PostgreSQL."""

import uuid

from sqlalchemy import select

from app.core.database import SessionFactory, transaction
from app.kafka.consumer import ReplyConsumer
from app.kafka.producer import EventPublisher
from app.models import Comment, Ticket
from app.schemas.events import ReplyReceivedEvent
from tests.fakes import FakeRecord, FakeSender, FakeSource


async def _ticket(sessions: SessionFactory) -> uuid.UUID:
    async with transaction(sessions) as session:
        ticket = Ticket(title="t", description="", priority="low", requester="r")
        session.add(ticket)
        await session.flush()
        return ticket.id


def _record(ticket_id: uuid.UUID, event_id: uuid.UUID) -> FakeRecord:
    event = ReplyReceivedEvent(
        event_id=event_id, ticket_id=ticket_id, author="ana", body="thanks"
    )
    return FakeRecord(event.model_dump_json().encode())


async def test_a_reply_is_applied_once(sessions: SessionFactory) -> None:
    ticket_id, event_id = await _ticket(sessions), uuid.uuid4()
    sender = FakeSender()
    source = FakeSource(batch=[_record(ticket_id, event_id)] * 2)
    consumer = ReplyConsumer(source, sessions, EventPublisher(sender, 1, 0), "dlq")
    await consumer.poll_once()
    async with sessions() as session:
        comments = (
            await session.scalars(select(Comment).where(Comment.ticket_id == ticket_id))
        ).all()
        ticket = await session.get(Ticket, ticket_id)
    assert [c.body for c in comments] == ["thanks"]
    assert ticket is not None and ticket.status == "awaiting_agent"
    assert sender.sent == []


async def test_a_reply_to_an_unknown_ticket_is_dead_lettered(
    sessions: SessionFactory,
) -> None:
    sender = FakeSender()
    source = FakeSource(batch=[_record(uuid.uuid4(), uuid.uuid4())])
    consumer = ReplyConsumer(source, sessions, EventPublisher(sender, 1, 0), "dlq")
    await consumer.poll_once()
    assert [topic for topic, _, _ in sender.sent] == ["dlq"]
