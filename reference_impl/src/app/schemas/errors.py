"""The single error body every failing request returns."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ErrorResponse(BaseModel):
    """Structured error returned with every 4xx/5xx response."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "order_not_found",
                    "message": "Order 6f1c2a9e-... was not found",
                    "details": {"order_id": "6f1c2a9e-..."},
                    "correlation_id": "2d7c9f5e-8a41-4bde-9a0c-3b8f9e0d1c2a",
                }
            ]
        }
    )

    code: str = Field(description="Stable machine-readable error code.")
    message: str = Field(description="Human-readable explanation.")
    details: dict[str, Any] | list[Any] = Field(default_factory=dict)
    correlation_id: str | None = Field(
        default=None, description="Echo of X-Correlation-ID for support requests."
    )
