"""In-memory stand-ins for the aiokafka clients."""

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiokafka import TopicPartition
from aiokafka.errors import KafkaConnectionError


@dataclass
class Message:
    """What ``getmany`` returns per record."""

    value: bytes
    offset: int


@dataclass
class FakeProducer:
    """Records sends; ``failing_starts`` start attempts raise first."""

    failing_starts: int = 0
    fail_sends: bool = False
    sent: list[tuple[str, bytes, bytes]] = field(default_factory=list)
    events: list[str] = field(default_factory=list)

    async def start(self) -> None:
        if self.failing_starts:
            self.failing_starts -= 1
            raise KafkaConnectionError("no broker")
        self.events.append("start")

    async def stop(self) -> None:
        self.events.append("stop")

    async def send_and_wait(self, topic: str, value: bytes, key: bytes) -> None:
        if self.fail_sends:
            raise KafkaConnectionError("no broker")
        self.sent.append((topic, value, key))


@dataclass
class FakeConsumer:
    """Serves queued messages on partition 0 of ``orders.v1``."""

    queue: list[Message] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    partition: TopicPartition = field(default_factory=lambda: TopicPartition("orders.v1", 0))
    highwater_value: int | None = 5

    async def start(self) -> None:
        self.events.append("start")

    async def stop(self) -> None:
        self.events.append("stop")

    async def getmany(self, **_: Any) -> dict[TopicPartition, list[Message]]:
        if not self.queue:
            await asyncio.sleep(0.01)
            return {}
        batch, self.queue = self.queue, []
        return {self.partition: batch}

    async def commit(self) -> None:
        self.events.append("commit")

    def assignment(self) -> set[TopicPartition]:
        return {self.partition}

    def highwater(self, tp: TopicPartition) -> int | None:
        return self.highwater_value

    async def position(self, tp: TopicPartition) -> int:
        return 3
