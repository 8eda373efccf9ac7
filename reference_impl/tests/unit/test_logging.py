"""JSON log formatting and correlation ids."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from app.core.logging import (
    JsonFormatter,
    bind_correlation_id,
    configure_logging,
    get_correlation_id,
    new_correlation_id,
    reset_correlation_id,
)


def _record(msg: str, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, msg, None, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_formatter_emits_json_with_bound_correlation_id() -> None:
    token = bind_correlation_id("corr-1")
    try:
        line = json.loads(JsonFormatter().format(_record("hello", order_id="o-1")))
    finally:
        reset_correlation_id(token)
    assert line["message"] == "hello"
    assert line["correlation_id"] == "corr-1"
    assert line["order_id"] == "o-1"
    assert line["level"] == "info"
    assert "timestamp" in line
    assert get_correlation_id() is None


def test_formatter_prefers_explicit_correlation_id_and_renders_exceptions() -> None:
    try:
        raise ValueError("bad")
    except ValueError:
        record = _record("failed", correlation_id="explicit")
        record.exc_info = sys.exc_info()
    line = json.loads(JsonFormatter().format(record))
    assert line["correlation_id"] == "explicit"
    assert "ValueError: bad" in line["exception"]


def test_configure_logging_installs_one_json_handler(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("DEBUG")
    logging.getLogger("unit").info("configured", extra={"k": 1})
    out = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(out)["k"] == 1
    assert logging.getLogger("uvicorn.access").disabled
    configure_logging("INFO")


def test_new_correlation_ids_are_unique() -> None:
    assert new_correlation_id() != new_correlation_id()
