"""Keyset cursors."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from app.exceptions import InvalidCursorError
from app.services.pagination import decode_cursor, encode_cursor


def test_cursor_round_trip() -> None:
    created_at = datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    order_id = uuid.uuid4()
    assert decode_cursor(encode_cursor(created_at, order_id)) == (created_at, order_id)


@pytest.mark.parametrize("cursor", ["%%%", "e30", "eyJjIjogMX0", "bm90IGpzb24"])
def test_garbage_cursor_is_rejected(cursor: str) -> None:
    with pytest.raises(InvalidCursorError) as caught:
        decode_cursor(cursor)
    assert caught.value.details == {"cursor": cursor}
