"""Keyset cursors."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import string
import uuid
from datetime import UTC, datetime

import pytest

from app.exceptions import InvalidCursorError
from app.schemas.orders import MAX_CURSOR_LENGTH
from app.services.pagination import decode_cursor, encode_cursor


def test_cursor_round_trip() -> None:
    created_at = datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    order_id = uuid.uuid4()
    assert decode_cursor(encode_cursor(created_at, order_id)) == (created_at, order_id)


@pytest.mark.parametrize(
    "cursor", ["%%%", "e30", "eyJjIjogMX0", "bm90IGpzb24", "_w", "MTIz", "bnVsbA"]
)
def test_garbage_cursor_is_rejected(cursor: str) -> None:
    with pytest.raises(InvalidCursorError) as caught:
        decode_cursor(cursor)
    assert caught.value.details == {"cursor": cursor}


def _encoded(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "raw",
    [
        '{"c": "2025-01-01T00:00:00+00:00", "i": 123}',  # wrong type
        '{"c": 1, "i": "6f1c2a9e-2b43-4c8a-9a57-3f0d1c2e4b5a"}',
        '{"c": "0001-01-01T00:00+14:00", "i": "6f1c2a9e-2b43-4c8a-9a57-3f0d1c2e4b5a"}',
        '{"c": "9999-12-31T23:59-14:00", "i": "6f1c2a9e-2b43-4c8a-9a57-3f0d1c2e4b5a"}',
        '{"c": "2025-01-01T00:00:00", "i": "6f1c2a9e-2b43-4c8a-9a57-3f0d1c2e4b5a"}',
        '{"c": "2025-01-01T00:00:00+00:00"}',
        '["c", "i"]',
        "[" * 150,  # deep nesting within the length bound
    ],
)
def test_cursor_of_the_wrong_shape_is_rejected(raw: str) -> None:
    with pytest.raises(InvalidCursorError):
        decode_cursor(_encoded(raw))


def test_deeply_nested_cursor_is_rejected_not_a_recursion_error() -> None:
    with pytest.raises(InvalidCursorError):
        decode_cursor(_encoded("[" * 100_000))


def test_overlong_cursor_is_rejected_before_decoding() -> None:
    cursor = encode_cursor(datetime.now(UTC), uuid.uuid4()) + "A" * MAX_CURSOR_LENGTH
    with pytest.raises(InvalidCursorError):
        decode_cursor(cursor)


def test_timestamps_are_returned_in_utc() -> None:
    order_id = uuid.uuid4()
    raw = json.dumps({"c": "2025-01-01T14:00:00+14:00", "i": str(order_id)})
    assert decode_cursor(_encoded(raw)) == (datetime(2025, 1, 1, tzinfo=UTC), order_id)


def test_any_string_is_a_position_or_invalid_cursor() -> None:
    alphabet = string.ascii_letters + string.digits + "-_=%{}\"'[]:,.+/ \x00é"
    for seed in range(3000):
        digest = hashlib.sha512(str(seed).encode()).digest() * 5
        length = digest[0] + digest[1] % 60  # 0..314 characters
        cursor = "".join(alphabet[byte % len(alphabet)] for byte in digest[:length])
        with contextlib.suppress(InvalidCursorError):
            created_at, _ = decode_cursor(cursor)
            assert created_at.utcoffset() is not None
