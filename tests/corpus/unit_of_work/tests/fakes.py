"""Book-style fakes: in-memory repositories and Unit of Work, a fake Kafka."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from aiokafka.errors import KafkaTimeoutError  # type: ignore[import-untyped]

from app.models import Note, OutboxEvent
from app.repositories.ports import InboxRepository, NoteRepository, OutboxRepository
from app.services.unit_of_work import AbstractUnitOfWork


class FakeNotes(NoteRepository):
    def __init__(self) -> None:
        self.rows: dict[UUID, Note] = {}

    async def add(self, note: Note) -> None:
        note.created_at = datetime.now(UTC)
        self.rows[note.id] = note

    async def get(self, note_id: UUID) -> Note | None:
        return self.rows.get(note_id)

    async def latest(self, limit: int, author: str | None) -> Sequence[Note]:
        return [n for n in self.rows.values() if author in (None, n.author)][:limit]


class FakeOutbox(OutboxRepository):
    def __init__(self) -> None:
        self.rows: list[OutboxEvent] = []

    async def put(self, topic: str, key: str, body: dict[str, Any]) -> None:
        self.rows.append(OutboxEvent(topic=topic, partition_key=key, body=body))

    async def pending(self, limit: int) -> Sequence[OutboxEvent]:
        return self.rows[:limit]


class FakeInbox(InboxRepository):
    def __init__(self) -> None:
        self.ids: set[str] = set()

    async def seen(self, message_id: str) -> bool:
        return message_id in self.ids

    async def remember(self, message_id: str) -> None:
        self.ids.add(message_id)


class FakeUnitOfWork(AbstractUnitOfWork):
    def __init__(self) -> None:
        self.notes: FakeNotes = FakeNotes()
        self.outbox: FakeOutbox = FakeOutbox()
        self.inbox: FakeInbox = FakeInbox()
        self.commits = 0
        self.rollbacks = 0
        self.pings = 0

    async def commit(self) -> None:
        self.commits += 1

    async def rollback(self) -> None:
        self.rollbacks += 1

    async def ping(self) -> None:
        self.pings += 1


@dataclass
class FakeProducer:
    fail_first: int = 0
    sent: list[tuple[str, bytes, bytes, list[tuple[str, bytes]]]] = field(default_factory=list)
    running: bool = False

    async def start(self) -> None:
        self.running = True

    async def stop(self) -> None:
        self.running = False

    async def send_and_wait(
        self, topic: str, value: bytes, *, key: bytes, headers: list[tuple[str, bytes]]
    ) -> None:
        if self.fail_first:
            self.fail_first -= 1
            raise KafkaTimeoutError()
        self.sent.append((topic, value, key, headers))


@dataclass
class Record:
    value: bytes
    topic: str = "moderation.verdicts.v1"
    offset: int = 0


@dataclass
class FakeConsumer:
    records: list[Record] = field(default_factory=list)
    commits: int = 0
    started: bool = False
    stopped: bool = False

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.stopped = True

    async def commit(self) -> None:
        self.commits += 1

    def __aiter__(self) -> FakeConsumer:
        return self

    async def __anext__(self) -> Record:
        if not self.records:
            raise StopAsyncIteration
        return self.records.pop(0)

    def assignment(self) -> set[str]:
        return {"p0"}

    async def end_offsets(self, partitions: list[str]) -> dict[str, int]:
        return dict.fromkeys(partitions, 12)

    async def committed(self, partition: str) -> int | None:
        return None
