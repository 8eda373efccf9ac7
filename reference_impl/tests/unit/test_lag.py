"""Lag gauges computed from highwater()."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from app.kafka.clients import TopicPartition
from app.kafka.lag import COMMITTED_LAG, POSITION_LAG, LagMonitor

TP = TopicPartition("payments.v1.lag", 2)
HIGHWATER = 10
POSITION = 7


class FakeConsumer:
    def __init__(self, highwater: int | None) -> None:
        self._highwater = highwater

    def assignment(self) -> set[Any]:
        return {TP}

    def highwater(self, tp: Any) -> int | None:
        return self._highwater

    async def position(self, tp: Any) -> int:
        return POSITION

    async def committed(self, tp: Any) -> int | None:
        return None


async def test_sample_sets_gauges() -> None:
    monitor = LagMonitor(group_id="g-lag", log_interval_s=60)
    lags = await monitor.sample(FakeConsumer(highwater=HIGHWATER))
    assert lags == {"payments.v1.lag:2": HIGHWATER - POSITION}
    labels = ("g-lag", TP.topic, "2")
    assert POSITION_LAG.labels(*labels)._value.get() == HIGHWATER - POSITION
    assert COMMITTED_LAG.labels(*labels)._value.get() == HIGHWATER


async def test_unknown_highwater_is_skipped() -> None:
    monitor = LagMonitor(group_id="g", log_interval_s=60)
    assert await monitor.sample(FakeConsumer(highwater=None)) == {}


async def test_maybe_sample_throttles_and_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [100.0]
    monitor = LagMonitor(
        group_id="g", log_interval_s=5, sample_interval_s=1, clock=lambda: now[0]
    )
    consumer = FakeConsumer(highwater=POSITION + 1)
    with caplog.at_level(logging.INFO, logger="app.kafka.lag"):
        assert await monitor.maybe_sample(consumer) == {"payments.v1.lag:2": 1}
        assert await monitor.maybe_sample(consumer) is None
        now[0] += 2
        assert await monitor.maybe_sample(consumer) is not None
    assert [r.getMessage() for r in caplog.records].count("consumer_lag") == 1
