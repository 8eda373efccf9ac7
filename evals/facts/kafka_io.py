"""The harness's own Kafka client side for the design scenarios (trusted, outside the sandbox).

Topics are created before any of the project's producers start (the embedded broker
acknowledges writes to a topic that does not exist and drops them). Produced topics are
read from their beginning by a :class:`TopicWatcher` that assigns partitions explicitly
(no group, no commits), so every record the project published is seen whatever its key.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

PARTITIONS = 3
FETCH_MS = 200
GROUP_POLL_S = 0.5


class KafkaIOError(Exception):
    """The harness could not talk to the broker."""


@dataclass(frozen=True)
class Record:
    """One record as the harness read it.

    Attributes:
        topic: Where it was read.
        partition: Its partition.
        offset: Its offset.
        key: The key decoded as UTF-8 (replacement characters for other bytes).
        value: The raw value.
        headers: Header name → value decoded as UTF-8.
    """

    topic: str
    partition: int
    offset: int
    key: str | None
    value: bytes
    headers: dict[str, str]


def _decode(data: bytes | None) -> str | None:
    """``data`` as text, or None."""
    return None if data is None else data.decode("utf-8", errors="replace")


def _record(raw: object) -> Record:
    """A :class:`Record` from an aiokafka ``ConsumerRecord``."""
    headers = {name: _decode(value) or "" for name, value in getattr(raw, "headers", ())}
    return Record(
        getattr(raw, "topic", ""),
        int(getattr(raw, "partition", 0)),
        int(getattr(raw, "offset", 0)),
        _decode(getattr(raw, "key", None)),
        getattr(raw, "value", None) or b"",
        headers,
    )


async def create_topics(bootstrap: str, names: Sequence[str]) -> None:
    """Create ``names`` (3 partitions each) unless they exist.

    Raises:
        KafkaIOError: If the broker refuses.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="evals-admin")
    try:
        await admin.start()
        new = [NewTopic(name, PARTITIONS, 1) for name in names]
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics(new)
    except KafkaError as exc:
        raise KafkaIOError(f"cannot create topics {', '.join(names)}: {exc}") from exc
    finally:
        await admin.close()


async def _stable_groups(admin: AIOKafkaAdminClient, wanted: str) -> list[str]:
    """Groups with members in the Stable state, ``wanted`` first.

    ``wanted`` is described directly: some brokers (Tansu) list no groups at all.
    """
    listed = [str(entry[0]) for entry in await admin.list_consumer_groups()]
    names = list(dict.fromkeys([wanted, *listed] if wanted else listed))
    if not names:
        return []
    stable = []
    for response in await admin.describe_consumer_groups(names):
        for group in response.to_object().get("groups", []):
            if group.get("state") == "Stable" and group.get("members"):
                stable.append(str(group["group"]))
    return sorted(stable, key=lambda name: name != wanted)


async def wait_for_group(bootstrap: str, wanted: str, timeout_s: float) -> str:
    """Wait until a consumer group (``wanted`` preferably) has members and is Stable.

    Returns:
        The group found, or an empty string when none was within ``timeout_s``.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="evals-admin")
    deadline = time.monotonic() + timeout_s
    try:
        await admin.start()
        while time.monotonic() < deadline:
            with contextlib.suppress(KafkaError):
                if groups := await _stable_groups(admin, wanted):
                    return groups[0]
            await asyncio.sleep(GROUP_POLL_S)
        return ""
    finally:
        await admin.close()


@dataclass
class TopicWatcher:
    """Reads every record of ``topics`` from their beginning, in the background.

    Attributes:
        bootstrap: The broker.
        topics: What to read.
        seen: Records read so far, per topic.
    """

    bootstrap: str
    topics: tuple[str, ...]
    seen: dict[str, list[Record]] = field(default_factory=dict)
    _consumer: AIOKafkaConsumer | None = None
    _task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Assign every partition of the topics and start reading.

        Raises:
            KafkaIOError: If the broker cannot be read.
        """
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False
        )
        try:
            await consumer.start()
            await consumer.topics()
            partitions = [
                TopicPartition(topic, partition)
                for topic in self.topics
                for partition in sorted(consumer.partitions_for_topic(topic) or ())
            ]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
        except KafkaError as exc:
            await consumer.stop()
            raise KafkaIOError(f"cannot read topics {', '.join(self.topics)}: {exc}") from exc
        self._consumer = consumer
        self._task = asyncio.ensure_future(self._read(consumer))

    async def _read(self, consumer: AIOKafkaConsumer) -> None:
        """Append what arrives to :attr:`seen` until cancelled."""
        while True:
            batches = await consumer.getmany(timeout_ms=FETCH_MS)
            for records in batches.values():
                for raw in records:
                    record = _record(raw)
                    self.seen.setdefault(record.topic, []).append(record)

    def records(self, topic: str) -> list[Record]:
        """What has been read from ``topic`` so far."""
        return list(self.seen.get(topic, ()))

    async def stop(self) -> None:
        """Stop reading and close the consumer."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, KafkaError):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()


@dataclass
class Publisher:
    """Produces records to the project's consumed topics (``acks=all``, no idempotence).

    Attributes:
        bootstrap: The broker.
    """

    bootstrap: str
    _producer: AIOKafkaProducer | None = None

    async def send(
        self, topic: str, key: str | None, value: bytes, headers: dict[str, str]
    ) -> None:
        """Send one record and wait for the broker's acknowledgement.

        Raises:
            KafkaIOError: If the broker does not acknowledge it.
        """
        try:
            if self._producer is None:
                self._producer = AIOKafkaProducer(
                    bootstrap_servers=self.bootstrap, acks="all", enable_idempotence=False
                )
                await self._producer.start()
            encoded = [(name, text.encode()) for name, text in headers.items()]
            raw_key = key.encode() if key is not None else None
            await self._producer.send_and_wait(topic, value, key=raw_key, headers=encoded)
        except KafkaError as exc:
            raise KafkaIOError(f"cannot produce to {topic}: {exc}") from exc

    async def stop(self) -> None:
        """Close the producer."""
        if self._producer is not None:
            await self._producer.stop()
