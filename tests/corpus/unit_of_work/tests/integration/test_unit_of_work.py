"""The SQLAlchemy Unit of Work, relay and consumer against PostgreSQL."""

import json
from uuid import uuid4

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.kafka.consumer import VerdictConsumer
from app.kafka.producer import KafkaEventBus
from app.kafka.relay import relay_pending
from app.models import Note
from app.services import notes
from app.services.unit_of_work import SqlAlchemyUnitOfWork
from tests.fakes import FakeConsumer, FakeProducer, Record

Factory = async_sessionmaker[AsyncSession]


async def test_uncommitted_work_is_rolled_back(session_factory: Factory) -> None:
    note_id = uuid4()
    async with SqlAlchemyUnitOfWork(session_factory) as uow:
        await uow.notes.add(Note(id=note_id, author="a", title="t", state="draft"))
    async with session_factory() as session:
        assert await session.get(Note, note_id) is None


def test_a_closed_unit_of_work_has_no_session(session_factory: Factory) -> None:
    with pytest.raises(RuntimeError):
        _ = SqlAlchemyUnitOfWork(session_factory).session


async def test_relay_publishes_and_marks_events(session_factory: Factory) -> None:
    note = await notes.write_note(
        SqlAlchemyUnitOfWork(session_factory), "ada", "t", "b", "notes.v2"
    )
    producer = FakeProducer()
    bus = KafkaEventBus(producer, 1, 1)
    while await relay_pending(session_factory, bus):
        pass
    keys = [key for _, _, key, _ in producer.sent]
    assert str(note.id).encode() in keys
    assert await relay_pending(session_factory, bus) == 0


async def test_consumer_applies_verdicts_idempotently(session_factory: Factory) -> None:
    note = await notes.write_note(
        SqlAlchemyUnitOfWork(session_factory), "ada", "t", "b", "notes.v2"
    )
    message = {"message_id": uuid4().hex, "note_id": str(note.id), "decision": "reject"}
    unknown = {**message, "message_id": uuid4().hex, "note_id": str(uuid4())}
    raw = [json.dumps(m).encode() for m in (message, message, unknown)]
    producer = FakeProducer()
    source = FakeConsumer(records=[Record(value) for value in raw])
    bus = KafkaEventBus(producer, 1, 1)
    await VerdictConsumer(source, session_factory, bus, "dlq").run()
    async with session_factory() as session:
        state = await session.scalar(select(Note.state).where(Note.id == note.id))
    assert state == "archived"
    assert [sent[0] for sent in producer.sent] == ["dlq"]
    assert source.commits == 3
