"""Error and probe bodies."""

from typing import Any

from pydantic import BaseModel, ConfigDict


class ProblemBody(BaseModel):
    """The error body of every non-2xx response."""

    code: str
    message: str
    correlation_id: str | None
    details: list[Any] | None = None


class ProbeResult(BaseModel):
    """Answer of a health probe."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"healthy": True}]})

    healthy: bool
