"""Liveness/readiness logic, independent of the web framework."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from app.schemas.health import ReadinessResponse

logger = logging.getLogger(__name__)


class ReadinessCache:
    """Shares one readiness result between probes for ``ttl_s`` seconds.

    Probes arrive from load balancers, orchestrators and monitors, often
    concurrently; without a cache each one would take a database connection
    and a Kafka round trip. Concurrent callers wait for the single check in
    flight instead of starting their own.
    """

    def __init__(
        self, *, ttl_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """Initialise the cache.

        Args:
            ttl_s: How long a result is reused.
            clock: Monotonic clock (injectable for tests).
        """
        self._ttl = ttl_s
        self._clock = clock
        self._lock = asyncio.Lock()
        self._value: ReadinessResponse | None = None
        self._checked_at = float("-inf")

    async def get(
        self, check: Callable[[], Awaitable[ReadinessResponse]]
    ) -> ReadinessResponse:
        """Return the cached result, or run ``check`` when it is stale.

        Args:
            check: Produces a fresh readiness report.

        Returns:
            The (possibly cached) report.
        """
        async with self._lock:
            if self._value is None or self._clock() - self._checked_at >= self._ttl:
                self._value = await check()
                self._checked_at = self._clock()
            return self._value


class HealthService:
    """Checks the dependencies the API needs to serve traffic."""

    def __init__(
        self,
        *,
        database_check: Callable[[], Awaitable[None]],
        kafka_check: Callable[[], Awaitable[bool]],
        timeout_s: float,
        cache: ReadinessCache | None = None,
    ) -> None:
        """Initialise the service.

        Args:
            database_check: Raises when the database is unreachable.
            kafka_check: Returns whether Kafka is reachable.
            timeout_s: Per-check time limit in seconds.
            cache: Shares results between probes (no caching when omitted).
        """
        self._database_check = database_check
        self._kafka_check = kafka_check
        self._timeout = timeout_s
        self._cache = cache or ReadinessCache(ttl_s=0)

    async def readiness(self) -> ReadinessResponse:
        """Report readiness, reusing a recent result when one is cached.

        Returns:
            ``ok`` when every dependency answered, ``unavailable`` otherwise.
        """
        return await self._cache.get(self._check_all)

    async def _check_all(self) -> ReadinessResponse:
        """Run all checks concurrently."""
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
