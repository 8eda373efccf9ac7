"""Error and health bodies shared by every endpoint."""

from typing import Literal

from pydantic import BaseModel, ConfigDict


class ErrorDetail(BaseModel):
    """What went wrong, with the request's correlation id."""

    code: str
    message: str
    correlation_id: str
    details: list[dict[str, object]] = []


class ErrorBody(BaseModel):
    """The one JSON shape of every error response."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error": {
                        "code": "invoice_not_found",
                        "message": "invoice 6f1c... does not exist",
                        "correlation_id": "3b1d7c9e",
                        "details": [],
                    }
                }
            ]
        }
    )

    error: ErrorDetail


class HealthStatus(BaseModel):
    """Result of a health probe."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})

    status: Literal["ok", "unavailable"]
