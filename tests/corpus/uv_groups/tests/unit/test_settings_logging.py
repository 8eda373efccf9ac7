"""Settings aliases and the structlog output."""

import json
import logging

import pytest
import structlog

from app.core.config import InventorySettings, settings
from app.core.logging import configure


@pytest.mark.usefixtures("env")
def test_shared_variables_and_prefixed_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INVENTORY_ITEMS_TOPIC", "inventory.items.v9")
    config = settings()
    assert config.kafka_bootstrap_servers == "127.0.0.1:9"
    assert config.items_topic == "inventory.items.v9"
    assert "inv@" not in repr(config)


def test_prefixed_database_url_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("INVENTORY_DATABASE_URL", "postgresql+asyncpg://x@h/db")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "k:9092")
    assert InventorySettings().database_url.get_secret_value().endswith("/db")


def test_json_lines_carry_context(capsys: pytest.CaptureFixture[str]) -> None:
    configure("info")
    structlog.contextvars.bind_contextvars(correlation_id="c-1")
    structlog.get_logger("t").info("hello", answer=42)
    logging.getLogger("stdlib").warning("plain")
    structlog.contextvars.clear_contextvars()
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0]["event"] == "hello"
    assert lines[0]["correlation_id"] == "c-1"
    assert lines[1]["level"] == "warning"
    assert all("timestamp" in line for line in lines)


def test_console_rendering_for_humans(capsys: pytest.CaptureFixture[str]) -> None:
    configure("debug", as_json=False)
    structlog.get_logger("t").info("readable")
    assert "readable" in capsys.readouterr().out
    configure("info")
