"""JSON logging with the current correlation id."""

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

CORRELATION_ID: ContextVar[str] = ContextVar("CORRELATION_ID", default="")
_SKIP = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message"}


class StructuredFormatter(logging.Formatter):
    """Format records as JSON objects."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the JSON line of ``record``."""
        data: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname.lower(),
            "name": record.name,
            "message": record.getMessage(),
            "correlation_id": CORRELATION_ID.get() or None,
        }
        data |= {k: v for k, v in record.__dict__.items() if k not in _SKIP}
        if record.exc_info:
            data["error"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


def init_logging(level: str) -> None:
    """Route all logging (uvicorn's included) through the JSON formatter."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(StructuredFormatter())
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    for noisy in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(noisy).handlers.clear()
        logging.getLogger(noisy).propagate = noisy != "uvicorn.access"
