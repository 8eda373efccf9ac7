"""HTTP API on a real database."""

from uuid import uuid4

import httpx

NOTE = {"author": "grace", "title": "Standup", "body": "Ship the outbox relay."}


async def test_write_list_and_read(client: httpx.AsyncClient) -> None:
    created = await client.post("/notes", json=NOTE)
    assert created.status_code == 201
    note_id = created.json()["id"]
    listed = await client.get("/notes", params={"author": "grace"})
    assert note_id in [n["id"] for n in listed.json()]
    read = await client.get(f"/notes/{note_id}")
    assert read.json()["revisions"] == [{"number": 1, "body": NOTE["body"]}]


async def test_error_bodies_have_one_shape(client: httpx.AsyncClient) -> None:
    missing = await client.get(f"/notes/{uuid4()}")
    invalid = await client.post("/notes", json={"author": 3})
    unknown = await client.get("/nothing-here")
    assert (missing.status_code, invalid.status_code, unknown.status_code) == (404, 422, 404)
    assert missing.json().keys() == invalid.json().keys() == unknown.json().keys()
    assert invalid.json()["errors"]


async def test_health_and_correlation(client: httpx.AsyncClient) -> None:
    live = await client.get("/health/live")
    ready = await client.get("/health/ready", headers={"X-Correlation-ID": "abc-123"})
    assert live.json() == ready.json() == {"status": "pass"}
    assert ready.headers["X-Correlation-ID"] == "abc-123"
    assert len(live.headers["X-Correlation-ID"]) == 16
