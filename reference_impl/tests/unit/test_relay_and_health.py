"""Relay loop and health service with fakes."""

from __future__ import annotations

import asyncio
import json
import uuid

from sqlalchemy.exc import OperationalError

from app.kafka.relay import relay_loop
from app.models import OutboxEvent
from app.services.health import HealthService, ReadinessCache
from app.services.outbox_relay import to_message

FAILING_CALL, PUBLISHING_CALL, EXPECTED_CALLS = 1, 2, 3


class FlakyRelay:
    def __init__(self, stop: asyncio.Event) -> None:
        self.calls = 0
        self.stop = stop

    async def publish_pending_events(self) -> int:
        self.calls += 1
        if self.calls == FAILING_CALL:
            raise OperationalError("SELECT", {}, Exception("db down"))
        if self.calls == PUBLISHING_CALL:
            return 5
        self.stop.set()
        return 0


async def test_relay_loop_survives_db_errors_and_stops() -> None:
    stop = asyncio.Event()
    relay = FlakyRelay(stop)
    await asyncio.wait_for(relay_loop(relay, stop, 0.01), timeout=5)
    assert relay.calls == EXPECTED_CALLS


def test_to_message_carries_key_and_headers() -> None:
    event_id = uuid.uuid4()
    event = OutboxEvent(
        id=event_id,
        topic="orders.v1",
        key="order-1",
        event_type="OrderCreated",
        payload={"event_id": str(event_id)},
        correlation_id="c-1",
    )
    message = to_message(event)
    assert message.key == b"order-1"
    assert json.loads(message.value) == {"event_id": str(event_id)}
    assert dict(message.headers) == {
        "event_type": b"OrderCreated",
        "correlation_id": b"c-1",
    }
    event.correlation_id = None
    assert dict(to_message(event).headers) == {"event_type": b"OrderCreated"}


async def test_health_reports_each_dependency() -> None:
    async def db_ok() -> None:
        await asyncio.sleep(0)

    async def db_down() -> None:
        raise ConnectionRefusedError

    async def kafka(up: bool) -> bool:
        return up

    healthy = HealthService(
        database_check=db_ok, kafka_check=lambda: kafka(True), timeout_s=1
    )
    report = await healthy.readiness()
    assert (report.status, report.checks) == ("ok", {"database": "ok", "kafka": "ok"})
    sick = HealthService(
        database_check=db_down, kafka_check=lambda: kafka(False), timeout_s=1
    )
    report = await sick.readiness()
    assert report.status == "unavailable"
    assert report.checks == {"database": "unreachable", "kafka": "unreachable"}


async def test_readiness_cache_reuses_result_within_ttl() -> None:
    now = [0.0]
    calls: list[int] = []

    async def db() -> None:
        calls.append(1)

    async def kafka() -> bool:
        return True

    service = HealthService(
        database_check=db,
        kafka_check=kafka,
        timeout_s=1,
        cache=ReadinessCache(ttl_s=1, clock=lambda: now[0]),
    )
    reports = await asyncio.gather(*[service.readiness() for _ in range(5)])
    assert {r.status for r in reports} == {"ok"}
    assert len(calls) == 1
    now[0] += 2
    await service.readiness()
    assert len(calls) == len(["first", "after expiry"])
