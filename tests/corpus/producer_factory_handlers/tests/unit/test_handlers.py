"""Handlers validate raw bytes with the event schemas."""

import json
import uuid

import pytest

from app.kafka import handlers
from app.schemas.events import PaymentCapturedEvent


def _raw(**overrides: object) -> bytes:
    body = {
        "event_id": str(uuid.uuid4()),
        "type": "payment.captured",
        "booking_id": str(uuid.uuid4()),
    }
    return json.dumps({**body, **overrides}).encode()


async def test_routes_payment_to_confirmation(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[PaymentCapturedEvent] = []

    async def confirm(event: PaymentCapturedEvent) -> bool:
        seen.append(event)
        return True

    monkeypatch.setattr(handlers, "confirm_paid_booking", confirm)
    await handlers.handle_message(_raw())
    assert seen[0].type == "payment.captured"


@pytest.mark.parametrize("raw", [b"not json", _raw(type="room.cleaned"), b"{}"])
async def test_unroutable_messages_are_invalid(raw: bytes) -> None:
    with pytest.raises(handlers.InvalidMessageError):
        await handlers.handle_message(raw)


async def test_schema_violation_is_invalid() -> None:
    with pytest.raises(handlers.InvalidMessageError):
        await handlers.on_payment_captured(_raw(booking_id="nope"))
