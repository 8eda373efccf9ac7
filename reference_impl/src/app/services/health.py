"""Liveness/readiness logic, independent of the web framework."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from app.schemas.health import ReadinessResponse

logger = logging.getLogger(__name__)


class HealthService:
    """Checks the dependencies the API needs to serve traffic."""

    def __init__(
        self,
        *,
        database_check: Callable[[], Awaitable[None]],
        kafka_check: Callable[[], Awaitable[bool]],
        timeout_s: float,
    ) -> None:
        """Initialise the service.

        Args:
            database_check: Raises when the database is unreachable.
            kafka_check: Returns whether Kafka is reachable.
            timeout_s: Per-check time limit in seconds.
        """
        self._database_check = database_check
        self._kafka_check = kafka_check
        self._timeout = timeout_s

    async def readiness(self) -> ReadinessResponse:
        """Run all checks concurrently.

        Returns:
            ``ok`` when every dependency answered, ``unavailable`` otherwise.
        """
        database, kafka = await asyncio.gather(self._database(), self._kafka())
        checks = {"database": database, "kafka": kafka}
        healthy = all(value == "ok" for value in checks.values())
        return ReadinessResponse(
            status="ok" if healthy else "unavailable", checks=checks
        )

    async def _database(self) -> str:
        """Return ``ok`` or the reason the database check failed."""
        try:
            async with asyncio.timeout(self._timeout):
                await self._database_check()
        except Exception as exc:  # any failure means "not ready"
            logger.warning("readiness_database_failed", extra={"error": repr(exc)})
            return "unreachable"
        return "ok"

    async def _kafka(self) -> str:
        """Return ``ok`` or ``unreachable`` for the Kafka producer."""
        return "ok" if await self._kafka_check() else "unreachable"
