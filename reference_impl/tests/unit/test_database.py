"""Pool checkout hook (no database needed)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy.exc import DisconnectionError

from app.core.database import reject_closed_connection


def _record(closed: bool, checks: list[bool] | None = None) -> SimpleNamespace:
    def is_closed() -> bool:
        (checks if checks is not None else []).append(closed)
        return closed

    return SimpleNamespace(driver_connection=SimpleNamespace(is_closed=is_closed))


def test_open_connection_is_kept() -> None:
    checks: list[bool] = []
    reject_closed_connection(object(), _record(closed=False, checks=checks), object())
    assert checks == [False]


def test_closed_connection_is_replaced() -> None:
    with pytest.raises(DisconnectionError):
        reject_closed_connection(object(), _record(closed=True), object())
