"""Item endpoints through the ASGI app on a real database."""

import uuid

import httpx


def _sku() -> str:
    return f"T-{uuid.uuid4().hex[:10].upper()}"


async def test_register_then_read_and_list(api: httpx.AsyncClient) -> None:
    sku = _sku()
    created = await api.post("/items", json={"sku": sku, "name": "Washer", "warehouse": "BER1"})
    assert created.status_code == 201
    assert created.json() == {"sku": sku, "name": "Washer", "warehouse": "BER1", "quantity": 0}
    assert (await api.get(f"/items/{sku}")).json()["sku"] == sku
    page = await api.get("/items", params={"limit": 1})
    assert len(page.json()["items"]) == 1
    assert page.json()["next_after"] is not None
    rest = await api.get("/items", params={"after": page.json()["next_after"], "limit": 100})
    assert rest.json()["next_after"] is None


async def test_duplicates_and_unknown_items(api: httpx.AsyncClient) -> None:
    sku = _sku()
    body = {"sku": sku, "name": "Nut", "warehouse": "HAM2"}
    await api.post("/items", json=body)
    duplicate = await api.post("/items", json=body)
    missing = await api.get("/items/NOPE-404")
    invalid = await api.post("/items", json={"sku": "lower case"})
    assert (duplicate.status_code, missing.status_code, invalid.status_code) == (409, 404, 422)
    assert missing.json().keys() == invalid.json().keys() == duplicate.json().keys()


async def test_probes_and_correlation_id(api: httpx.AsyncClient) -> None:
    ready = await api.get("/health/ready", headers={"X-Correlation-ID": "corr-7"})
    live = await api.get("/health/live")
    unknown = await api.get("/nowhere")
    assert ready.json() == live.json() == {"healthy": True}
    assert ready.headers["X-Correlation-ID"] == "corr-7"
    assert unknown.status_code == 404
    assert unknown.json()["correlation_id"] == unknown.headers["X-Correlation-ID"]
