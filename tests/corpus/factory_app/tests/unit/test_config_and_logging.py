"""Settings and JSON logging."""

import json
import logging

import pytest

from app.core.config import Settings, get_settings
from app.core.logging import JsonFormatter, configure_logging, correlation_id


def test_settings_read_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u:p@db:5432/x")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")
    settings = Settings(_env_file=None)
    assert settings.database_url.get_secret_value().endswith("@db:5432/x")
    assert "p@db" not in repr(settings)
    assert settings.kafka_bootstrap_servers == "kafka:9092"
    assert settings.payments_dlq_topic == "payments.v1.dlq"


def test_get_settings_is_cached() -> None:
    assert get_settings() is get_settings()


def _record(**extra: object) -> logging.LogRecord:
    record = logging.makeLogRecord({"msg": "hello %s", "args": ("world",)})
    record.__dict__.update(extra)
    return record


def test_formatter_emits_json_with_correlation_id() -> None:
    token = correlation_id.set("abc-123")
    try:
        line = json.loads(JsonFormatter().format(_record(path="/x")))
    finally:
        correlation_id.reset(token)
    assert line["message"] == "hello world"
    assert line["correlation_id"] == "abc-123"
    assert line["path"] == "/x"
    assert {"timestamp", "level", "logger"} <= line.keys()


def test_formatter_includes_exception() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.makeLogRecord({"msg": "failed", "exc_info": True})
        record.exc_info = __import__("sys").exc_info()
    line = json.loads(JsonFormatter().format(record))
    assert "ValueError: boom" in line["exception"]


def test_configure_logging_installs_json_handler() -> None:
    configure_logging("debug")
    root = logging.getLogger()
    assert root.level == logging.DEBUG
    assert isinstance(root.handlers[0].formatter, JsonFormatter)
    assert logging.getLogger("uvicorn.access").disabled
    configure_logging("info")
