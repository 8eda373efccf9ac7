"""JSON log lines."""

import json
import logging
import sys

from app.core.logging import CORRELATION_ID, StructuredFormatter, init_logging


def test_line_carries_fields_and_correlation() -> None:
    record = logging.makeLogRecord({"msg": "moved %s", "args": ("3",), "levelname": "INFO"})
    record.sku = "A-1"
    token = CORRELATION_ID.set("cid-7")
    try:
        line = json.loads(StructuredFormatter().format(record))
    finally:
        CORRELATION_ID.reset(token)
    assert line["message"] == "moved 3"
    assert line["correlation_id"] == "cid-7"
    assert line["sku"] == "A-1"


def test_exception_is_rendered() -> None:
    try:
        raise KeyError("x")
    except KeyError:
        record = logging.makeLogRecord({"msg": "oops", "exc_info": sys.exc_info()})
    assert "KeyError" in json.loads(StructuredFormatter().format(record))["error"]


def test_init_logging_routes_uvicorn_to_root() -> None:
    init_logging("info")
    assert isinstance(logging.getLogger().handlers[0].formatter, StructuredFormatter)
    assert logging.getLogger("uvicorn.error").propagate
    assert not logging.getLogger("uvicorn.access").propagate
