"""Outbox relay and orders consumer as background tasks of the API process."""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError

from app.core.config import Settings
from app.core.database import Sessions
from app.kafka.consumer import OrderConsumer, make_consumer
from app.kafka.producer import KafkaSink, make_producer
from app.services.outbox_relay import publish_pending

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class KafkaClients:
    """How the workers build their clients (replaceable in tests)."""

    producer: Callable[[Settings], AIOKafkaProducer] = make_producer
    consumer: Callable[[Settings], AIOKafkaConsumer] = make_consumer


class BackgroundWorkers:
    """Starts the relay and consumer tasks; stops them and their clients on shutdown."""

    def __init__(self, settings: Settings, sessions: Sessions, clients: KafkaClients) -> None:
        """Create (but do not start) the Kafka clients."""
        self.settings = settings
        self.sessions = sessions
        self.producer = clients.producer(settings)
        self.consumer = clients.consumer(settings)
        self.producer_ready = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        """Launch the relay and the consumer as tasks on the running loop."""
        self.tasks = [
            asyncio.create_task(self.run_relay(), name="outbox-relay"),
            asyncio.create_task(self.run_consumer(), name="orders-consumer"),
        ]

    async def shutdown(self) -> None:
        """Cancel and await the tasks, then stop the consumer and the producer."""
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.consumer.stop()
        await self.producer.stop()
        logger.info("background workers stopped")

    async def run_relay(self) -> None:
        """Start the producer, then publish the outbox forever."""
        await self.start_client(self.producer, "producer")
        self.producer_ready.set()
        sink = KafkaSink(self.producer)
        while True:
            try:
                sent = await publish_pending(self.sessions, sink, self.settings.relay_batch_size)
            except Exception:
                logger.exception("outbox relay round failed")
                sent = 0
            if sent == 0:
                await asyncio.sleep(self.settings.relay_poll_seconds)

    async def run_consumer(self) -> None:
        """Start the consumer once the producer (for dead letters) is ready, then poll."""
        await self.start_client(self.consumer, "consumer")
        await self.producer_ready.wait()
        sink = KafkaSink(self.producer)
        await OrderConsumer(self.consumer, self.sessions, sink, self.settings).poll_forever()

    async def start_client(self, client: Any, name: str) -> None:
        """Start a Kafka client, retrying while the cluster is unreachable."""
        while True:
            try:
                await client.start()
            except KafkaError:
                logger.warning("kafka %s not reachable, retrying", name)
                await asyncio.sleep(self.settings.worker_restart_seconds)
            else:
                return
