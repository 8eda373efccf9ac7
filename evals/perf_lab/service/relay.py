"""An in-process outbox relay: a background task that polls ``outbox`` every 0.5 s."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from sqlalchemy import text  # type: ignore[import-not-found, unused-ignore]
from sqlalchemy.ext.asyncio import AsyncEngine  # type: ignore[import-not-found, unused-ignore]

POLL_INTERVAL_S = 0.5
BATCH = 100
CLAIM = text(
    "SELECT id, topic, payload FROM outbox WHERE published_at IS NULL"
    " ORDER BY id LIMIT :batch FOR UPDATE SKIP LOCKED"
)
MARK = text("UPDATE outbox SET published_at = now() WHERE id = ANY(:ids)")


async def relay_once(engine: AsyncEngine) -> int:
    """Claim a batch of unpublished rows, "publish" them, mark them; how many there were."""
    async with engine.begin() as connection:
        rows = (await connection.execute(CLAIM, {"batch": BATCH})).all()
        if rows:
            await connection.execute(MARK, {"ids": [row.id for row in rows]})
    return len(rows)


async def poll_outbox(engine: AsyncEngine, interval_s: float = POLL_INTERVAL_S) -> None:
    """Relay forever, sleeping ``interval_s`` between polls."""
    while True:
        await relay_once(engine)
        await asyncio.sleep(interval_s)


@contextlib.asynccontextmanager
async def running_relay(engine: AsyncEngine) -> AsyncIterator[None]:
    """Run :func:`poll_outbox` in the background for the duration of the block."""
    task = asyncio.create_task(poll_outbox(engine))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
