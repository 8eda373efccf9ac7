"""Booking endpoints through the ASGI app and PostgreSQL."""

import uuid

from fastapi.testclient import TestClient

REQUEST = {
    "room": "301",
    "check_in": "2026-08-10",
    "check_out": "2026-08-12",
    "guests": [{"full_name": "Grace Hopper"}],
}


def test_create_list_and_get(api: TestClient) -> None:
    created = api.post("/bookings", json=REQUEST)
    assert created.status_code == 201
    booking = created.json()
    assert booking["state"] == "pending"
    assert api.get(f"/bookings/{booking['id']}").json()["guests"] == [
        {"full_name": "Grace Hopper"}
    ]
    page = api.get("/bookings", params={"limit": 100}).json()
    assert booking["id"] in {item["id"] for item in page["items"]}


def test_errors_share_one_body(api: TestClient) -> None:
    missing = api.get(f"/bookings/{uuid.uuid4()}", headers={"X-Correlation-ID": "r1"})
    invalid = api.post("/bookings", json={**REQUEST, "check_out": "2026-08-01"})
    assert missing.status_code == 404
    assert invalid.status_code == 422
    assert missing.json().keys() == invalid.json().keys()
    assert missing.json()["correlation_id"] == "r1"
    assert missing.headers["x-correlation-id"] == "r1"
    assert api.get("/nowhere").json()["code"] == "http_error"


def test_probes(api: TestClient) -> None:
    assert api.get("/health/live").json() == {"healthy": True}
    assert api.get("/health/ready").status_code == 200
