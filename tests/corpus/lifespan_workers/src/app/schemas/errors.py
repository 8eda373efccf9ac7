"""The error envelope and probe bodies."""

from pydantic import BaseModel, ConfigDict


class ErrorEnvelope(BaseModel):
    """Returned with every 4xx/5xx response."""

    type: str
    title: str
    correlation_id: str | None
    errors: list[dict[str, object]]


class Probe(BaseModel):
    """Result of a liveness/readiness probe."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "pass"}]})

    status: str
