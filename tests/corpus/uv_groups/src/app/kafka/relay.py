"""Outbox relay: unsent messages are published, then stamped, in one transaction."""

import asyncio
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.kafka.producer import PublishFailed, publish
from app.repositories import messages

log = structlog.get_logger(__name__)


async def relay_once(maker: async_sessionmaker[AsyncSession], producer: Any) -> int:
    """Publish up to 100 messages; a failed send keeps the rest for the next round."""
    sent = 0
    async with maker() as session, session.begin():
        for message in await messages.unsent(session, 100):
            try:
                await publish(producer, message.topic, message.key, message.value)
            except PublishFailed:
                break
            messages.mark_sent(message)
            sent += 1
    return sent


async def relay_loop(
    maker: async_sessionmaker[AsyncSession], producer: Any, idle_s: float
) -> None:
    """Relay until cancelled, sleeping ``idle_s`` whenever nothing was sent."""
    while True:
        if await relay_once(maker, producer) == 0:
            await asyncio.sleep(idle_s)
