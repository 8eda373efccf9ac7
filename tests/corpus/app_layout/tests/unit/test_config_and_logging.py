"""Settings parsing and the JSON log format."""

import json
import logging
import sys

import pytest
from pydantic import SecretStr

from app.core.config import Settings, get_settings
from app.core.logging import JsonFormatter, configure_logging, correlation_id


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u:p@db/tickets")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")
    get_settings.cache_clear()
    settings = get_settings()
    assert settings.kafka_bootstrap_servers == "kafka:9092"
    assert "p@db" not in repr(settings)
    assert settings.replies_dlq_topic.endswith(".dlq")
    get_settings.cache_clear()


def test_settings_reject_a_zero_pool() -> None:
    with pytest.raises(ValueError, match="db_pool_size"):
        Settings(
            database_url=SecretStr("x"), kafka_bootstrap_servers="k", db_pool_size=0
        )


def _record(message: str, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, message, None, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_formatter_writes_json_with_context() -> None:
    token = correlation_id.set("abc")
    try:
        line = JsonFormatter().format(_record("hello", fields={"path": "/x"}))
    finally:
        correlation_id.reset(token)
    payload = json.loads(line)
    assert payload["message"] == "hello"
    assert payload["correlation_id"] == "abc"
    assert payload["path"] == "/x"
    assert {"timestamp", "level"} <= payload.keys()


def test_formatter_includes_exceptions() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = logging.LogRecord(
            "t", logging.ERROR, __file__, 1, "failed", None, sys.exc_info()
        )
    payload = json.loads(JsonFormatter().format(record))
    assert "boom" in payload["exception"]
    assert "correlation_id" not in payload


def test_configure_logging_installs_one_json_handler() -> None:
    configure_logging("debug")
    root = logging.getLogger()
    assert len(root.handlers) == 1
    assert isinstance(root.handlers[0].formatter, JsonFormatter)
    assert logging.getLogger("uvicorn.access").disabled
