"""In-memory stand-ins for the Kafka clients."""

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiokafka.errors import KafkaConnectionError  # type: ignore[import-untyped]


@dataclass
class FakeSender:
    """Records what would have been sent; fails the first ``failures`` sends."""

    failures: int = 0
    sent: list[tuple[str, bytes, bytes]] = field(default_factory=list)
    started: bool = False
    stopped: bool = False

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.stopped = True

    async def send_and_wait(self, topic: str, value: bytes, key: bytes) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise KafkaConnectionError("broker down")
        self.sent.append((topic, value, key))


@dataclass
class FakeRecord:
    """A consumed record."""

    value: bytes
    key: bytes | None = b"k"
    offset: int = 0


@dataclass
class FakeSource:
    """A consumer that hands out one batch and then stops the loop."""

    batch: list[FakeRecord] = field(default_factory=list)
    stop_after_batch: asyncio.Event | None = None
    commits: int = 0
    started: bool = False
    stopped: bool = False
    partitions: dict[str, int | None] = field(default_factory=lambda: {"p0": 10})

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.stopped = True

    async def getmany(self, *, timeout_ms: int) -> dict[Any, list[Any]]:
        batch, self.batch = self.batch, []
        if self.stop_after_batch is not None:
            self.stop_after_batch.set()
        return {"p0": list(batch)} if batch else {}

    async def commit(self) -> None:
        self.commits += 1

    def assignment(self) -> set[Any]:
        return set(self.partitions)

    def highwater(self, partition: Any) -> int | None:
        return self.partitions[partition]

    async def position(self, partition: Any) -> int:
        return 7
