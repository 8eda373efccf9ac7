"""Schemas shared by every endpoint: the error body and the health probe answer."""

from pydantic import BaseModel, ConfigDict, Field


class ErrorDetail(BaseModel):
    """The machine-readable part of every error response."""

    code: str = Field(description="Stable error code, e.g. ``ticket_not_found``.")
    message: str = Field(description="Human-readable explanation.")
    correlation_id: str = Field(description="Id of the request, for support.")
    details: list[dict[str, object]] = Field(default_factory=list)


class ErrorBody(BaseModel):
    """Envelope of every error response."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error": {
                        "code": "ticket_not_found",
                        "message": "ticket 0b9f... does not exist",
                        "correlation_id": "5f0c6e0c3b6a4a0e",
                        "details": [],
                    }
                }
            ]
        }
    )

    error: ErrorDetail


class Probe(BaseModel):
    """Answer of a health probe."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"status": "ok", "checks": {"database": "ok"}}]}
    )

    status: str
    checks: dict[str, str] = Field(default_factory=dict)
