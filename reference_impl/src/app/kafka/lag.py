"""Consumer lag: Prometheus gauges plus a periodic log line.

Lag is computed from ``consumer.highwater()`` (the high-water mark the
broker returned with the last fetch) rather than ``end_offsets()``, which
costs a round trip and is wrong on some Kafka-compatible brokers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from prometheus_client import Gauge

logger = logging.getLogger(__name__)

POSITION_LAG = Gauge(
    "order_consumer_lag_messages",
    "Messages between the partition high-water mark and the consumer position.",
    ["group", "topic", "partition"],
)
COMMITTED_LAG = Gauge(
    "order_consumer_committed_lag_messages",
    "Messages between the partition high-water mark and the committed offset.",
    ["group", "topic", "partition"],
)


class LagMonitor:
    """Samples per-partition lag at most once per ``sample_interval_s``."""

    def __init__(
        self,
        *,
        group_id: str,
        log_interval_s: float,
        sample_interval_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Initialise the monitor.

        Args:
            group_id: Consumer group (a label on the gauges).
            log_interval_s: Seconds between lag log lines.
            sample_interval_s: Minimum seconds between samples.
            clock: Monotonic clock (injectable for tests).
        """
        self._group = group_id
        self._log_interval = log_interval_s
        self._sample_interval = sample_interval_s
        self._clock = clock
        self._last_sample = float("-inf")
        self._last_log = float("-inf")

    async def maybe_sample(self, consumer: Any) -> dict[str, int] | None:
        """Sample lag if the sample interval has elapsed.

        Args:
            consumer: A started ``AIOKafkaConsumer``.

        Returns:
            ``{"topic:partition": position_lag}`` or ``None`` when skipped.
        """
        now = self._clock()
        if now - self._last_sample < self._sample_interval:
            return None
        self._last_sample = now
        lags = await self.sample(consumer)
        if now - self._last_log >= self._log_interval:
            self._last_log = now
            logger.info("consumer_lag", extra={"group": self._group, "lag": lags})
        return lags

    async def sample(self, consumer: Any) -> dict[str, int]:
        """Update the gauges for every assigned partition.

        Args:
            consumer: A started ``AIOKafkaConsumer``.

        Returns:
            ``{"topic:partition": position_lag}``.
        """
        lags: dict[str, int] = {}
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            if highwater is None:
                continue
            position = await consumer.position(tp)
            committed = await consumer.committed(tp) or 0
            labels = (self._group, tp.topic, str(tp.partition))
            POSITION_LAG.labels(*labels).set(max(highwater - position, 0))
            COMMITTED_LAG.labels(*labels).set(max(highwater - committed, 0))
            lags[f"{tp.topic}:{tp.partition}"] = max(highwater - position, 0)
        return lags
