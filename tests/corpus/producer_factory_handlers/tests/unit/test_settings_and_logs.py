"""Settings and the JSON log format."""

import json
import logging

import pytest

from app.core.config import AppSettings, load_settings
from app.core.logging import JSONLineFormatter, request_correlation, setup_logging


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://a:b@h/db")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "k1:9092,k2:9092")
    cfg = AppSettings(_env_file=None)
    assert cfg.kafka_bootstrap_servers == "k1:9092,k2:9092"
    assert "a:b" not in str(cfg.database_url)
    assert load_settings() is load_settings()


def test_json_line_has_correlation_and_extra() -> None:
    record = logging.makeLogRecord({"msg": "x=%d", "args": (3,), "levelname": "INFO"})
    record.partition = 1
    token = request_correlation.set("c-9")
    try:
        line = json.loads(JSONLineFormatter().format(record))
    finally:
        request_correlation.reset(token)
    assert line["msg"] == "x=3"
    assert line["correlation_id"] == "c-9"
    assert line["partition"] == 1


def test_setup_logging_uses_json() -> None:
    setup_logging("WARNING")
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler.formatter, JSONLineFormatter)
    setup_logging("INFO")
