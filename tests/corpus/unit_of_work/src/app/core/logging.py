"""Logging set up with ``dictConfig``: JSON lines with a correlation-id filter."""

from __future__ import annotations

import json
import logging
import logging.config
import time
from contextvars import ContextVar
from typing import Any

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message"}


class CorrelationFilter(logging.Filter):
    """Copy the current correlation id onto every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Attach ``correlation_id``; never drops a record."""
        record.correlation_id = REQUEST_ID.get()
        return True


class JsonLineFormatter(logging.Formatter):
    """One compact JSON object per record; extra attributes become keys."""

    def format(self, record: logging.LogRecord) -> str:
        """Render ``record``."""
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(
            {k: v for k, v in vars(record).items() if k not in _RESERVED and v is not None}
        )
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


_HANDLER = {
    "class": "logging.StreamHandler",
    "formatter": "json",
    "filters": ["correlation"],
    "stream": "ext://sys.stdout",
}
_UVICORN = {
    "uvicorn": {"handlers": [], "propagate": True},
    "uvicorn.error": {"handlers": [], "propagate": True},
    "uvicorn.access": {"handlers": [], "propagate": False},
}


def setup_logging(level: str) -> None:
    """Install the JSON handler on the root and uvicorn loggers."""
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "filters": {"correlation": {"()": CorrelationFilter}},
            "formatters": {"json": {"()": JsonLineFormatter}},
            "handlers": {"stdout": _HANDLER},
            "root": {"level": level.upper(), "handlers": ["stdout"]},
            "loggers": _UVICORN,
        }
    )
