"""The lifespan's relay and consumer tasks against PostgreSQL and fake Kafka."""

import json
import time
import uuid

from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import build_app
from tests.conftest import FakeKafka
from tests.fakes import FakeConsumer, FakeProducer, Message


def _wait_for(condition: object, timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.02)
    return False


def test_workers_relay_consume_and_stop(settings: Settings, migrated: None) -> None:
    kafka = FakeKafka(FakeProducer(), FakeConsumer())
    fast = settings.model_copy(update={"relay_poll_seconds": 0.02})
    sku = f"SKU-{uuid.uuid4().hex[:8].upper()}"
    with TestClient(build_app(fast, kafka.clients())) as client:
        product = client.post("/products", json={"sku": sku, "name": "Nut", "on_hand": 10}).json()
        assert _wait_for(lambda: any(key == sku.encode() for _, _, key in kafka.producer.sent))
        order = {"event_id": str(uuid.uuid4()), "order_ref": "o-1", "sku": sku, "quantity": 4}
        kafka.consumer.queue.append(Message(json.dumps(order).encode(), 0))
        kafka.consumer.queue.append(Message(json.dumps(order).encode(), 1))
        assert _wait_for(lambda: "commit" in kafka.consumer.events)
        assert client.get(f"/products/{product['id']}").json()["on_hand"] == 6
    assert kafka.consumer.events[-1] == "stop"
    assert kafka.producer.events[-1] == "stop"
