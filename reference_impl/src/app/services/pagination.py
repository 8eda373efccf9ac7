"""Opaque keyset cursors for list endpoints."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime

from app.exceptions import InvalidCursorError


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
        InvalidCursorError: When the cursor is not one we issued.
    """
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return datetime.fromisoformat(data["c"]), uuid.UUID(data["i"])
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise InvalidCursorError(cursor) from exc
