"""Opaque keyset cursors for list endpoints."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from app.exceptions import InvalidCursorError
from app.schemas.orders import MAX_CURSOR_LENGTH

_DECODE_ERRORS = (
    binascii.Error,
    ValueError,  # bad JSON, UTF-8, timestamp or UUID
    KeyError,
    TypeError,
    OverflowError,  # a timestamp that leaves the datetime range in UTC
    RecursionError,
)


def encode_cursor(created_at: datetime, order_id: uuid.UUID) -> str:
    """Encode the keyset position after the given row.

    Args:
        created_at: ``created_at`` of the last row on the page.
        order_id: ``id`` of the last row on the page.

    Returns:
        A URL-safe opaque string.
    """
    raw = json.dumps({"c": created_at.isoformat(), "i": str(order_id)})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """Decode a cursor made by :func:`encode_cursor`.

    Args:
        cursor: The opaque cursor.

    Returns:
        ``(created_at, id)`` of the last row of the previous page.

    Raises:
        InvalidCursorError: When the cursor is not one we issued (any other
            string, however malformed, lands here).
    """
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidCursorError(cursor)
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return _position(json.loads(base64.urlsafe_b64decode(padded.encode())))
    except _DECODE_ERRORS as exc:
        raise InvalidCursorError(cursor) from exc


def _position(data: Any) -> tuple[datetime, uuid.UUID]:
    """Check the decoded cursor's shape and types; return its UTC position."""
    if not isinstance(data, dict) or set(data) != {"c", "i"}:
        raise ValueError("a cursor is an object with the keys c and i")
    created_at, order_id = data["c"], data["i"]
    if not isinstance(created_at, str) or not isinstance(order_id, str):
        raise TypeError("the cursor's c and i are strings")
    position = datetime.fromisoformat(created_at)
    if position.tzinfo is None:
        raise ValueError("the cursor's timestamp has no UTC offset")
    return position.astimezone(UTC), uuid.UUID(order_id)
