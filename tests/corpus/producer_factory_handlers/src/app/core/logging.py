"""Structured logging through ``logging.config.dictConfig``."""

import json
import logging
import logging.config
import time
from contextvars import ContextVar

request_correlation: ContextVar[str | None] = ContextVar(
    "request_correlation", default=None
)

_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None)))
_STANDARD_ATTRS |= {"message", "asctime"}


class JSONLineFormatter(logging.Formatter):
    """One compact JSON object per record."""

    def format(self, record: logging.LogRecord) -> str:
        """Render ``record`` with its ``extra`` fields and the correlation id."""
        entry: dict[str, object] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)),
            "severity": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if (cid := request_correlation.get()) is not None:
            entry["correlation_id"] = cid
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS:
                entry[key] = value
        return json.dumps(entry, default=str, separators=(",", ":"))


def setup_logging(level: str = "INFO") -> None:
    """Install the JSON formatter on the root logger and uvicorn's loggers."""
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"json": {"()": JSONLineFormatter}},
            "handlers": {
                "stdout": {
                    "class": "logging.StreamHandler",
                    "formatter": "json",
                    "stream": "ext://sys.stdout",
                }
            },
            "root": {"level": level, "handlers": ["stdout"]},
            "loggers": {
                "uvicorn": {"handlers": [], "propagate": True},
                "uvicorn.access": {"level": "WARNING"},
            },
        }
    )
