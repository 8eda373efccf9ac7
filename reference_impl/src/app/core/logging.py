"""Structured JSON logging on stdout with a correlation id on every line.

The standard library's ``logging`` is the only logging library used; this
module configures it once. Call sites pass structured fields through
``extra={...}``; the formatter serialises them next to the fixed fields.
"""

from __future__ import annotations

import json
import logging
import sys
import uuid
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from typing import Any

CORRELATION_ID_HEADER = "X-Correlation-ID"

_correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)

# Attributes every LogRecord has; anything else came from ``extra=``.
_RESERVED = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()
    | {"message", "asctime", "taskName"}
)


def get_correlation_id() -> str | None:
    """Return the correlation id bound to the current context, if any.

    Returns:
        The correlation id or ``None``.
    """
    return _correlation_id.get()


def bind_correlation_id(value: str | None) -> Token[str | None]:
    """Bind a correlation id to the current context.

    Args:
        value: The id to bind (``None`` clears it).

    Returns:
        A token for :func:`reset_correlation_id`.
    """
    return _correlation_id.set(value)


def reset_correlation_id(token: Token[str | None]) -> None:
    """Restore the correlation id that was bound before ``token`` was created.

    Args:
        token: Token returned by :func:`bind_correlation_id`.
    """
    _correlation_id.reset(token)


def new_correlation_id() -> str:
    """Generate a fresh correlation id.

    Returns:
        A random UUID4 string.
    """
    return str(uuid.uuid4())


class JsonFormatter(logging.Formatter):
    """Render log records as single-line JSON objects."""

    def format(self, record: logging.LogRecord) -> str:
        """Serialise one record.

        Args:
            record: The record to render.

        Returns:
            One JSON document without a trailing newline.
        """
        entry: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "correlation_id": getattr(record, "correlation_id", None)
            or get_correlation_id(),
        }
        entry.update(
            (key, value)
            for key, value in vars(record).items()
            if key not in _RESERVED and key != "correlation_id"
        )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str = "INFO") -> None:
    """Route all logging (including uvicorn's and aiokafka's) to JSON on stdout.

    Args:
        level: Root log level name.
    """
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    # Our middleware writes the access log with the correlation id.
    logging.getLogger("uvicorn.access").disabled = True
