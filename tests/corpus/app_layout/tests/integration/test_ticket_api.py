"""The HTTP API against a real PostgreSQL, with the relay publishing to a fake."""

import asyncio
import uuid

import httpx

from tests.fakes import FakeSender

NEW_TICKET = {
    "title": "Cannot download my invoice",
    "description": "The PDF link returns an error.",
    "priority": "high",
    "requester": "ana@example.com",
}


async def test_open_then_read_a_ticket(client: httpx.AsyncClient) -> None:
    created = await client.post("/tickets", json=NEW_TICKET)
    assert created.status_code == 201
    ticket_id = created.json()["id"]
    fetched = await client.get(f"/tickets/{ticket_id}")
    assert fetched.status_code == 200
    assert fetched.json()["comments"] == []
    listed = await client.get("/tickets", params={"status": "open", "limit": 100})
    assert ticket_id in {item["id"] for item in listed.json()["items"]}


async def test_opened_tickets_are_relayed_to_kafka(
    client: httpx.AsyncClient, sender: FakeSender
) -> None:
    created = await client.post("/tickets", json=NEW_TICKET)
    ticket_id = created.json()["id"]
    for _ in range(100):
        if any(key == ticket_id.encode() for _, _, key in sender.sent):
            break
        await asyncio.sleep(0.05)
    assert any(key == ticket_id.encode() for _, _, key in sender.sent)


async def test_errors_share_one_body(client: httpx.AsyncClient) -> None:
    missing = await client.get(f"/tickets/{uuid.uuid4()}")
    invalid = await client.post("/tickets", json={"title": 1})
    assert missing.status_code == 404
    assert invalid.status_code == 422
    assert missing.json().keys() == invalid.json().keys() == {"error"}
    assert missing.json()["error"]["code"] == "ticket_not_found"


async def test_health_probes(client: httpx.AsyncClient) -> None:
    live = await client.get("/health/live")
    ready = await client.get("/health/ready", headers={"X-Correlation-ID": "probe-1"})
    assert live.status_code == 200
    assert ready.json()["checks"] == {"database": "ok"}
    assert ready.headers["X-Correlation-ID"] == "probe-1"
