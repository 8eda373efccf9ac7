"""Health check responses."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class LivenessResponse(BaseModel):
    """The process is up."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})

    status: Literal["ok"] = "ok"


class ReadinessResponse(BaseModel):
    """Dependency status; ``status`` is ``ok`` only when every check passes."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"status": "ok", "checks": {"database": "ok", "kafka": "ok"}},
                {
                    "status": "unavailable",
                    "checks": {"database": "ok", "kafka": "unreachable"},
                },
            ]
        }
    )

    status: Literal["ok", "unavailable"]
    checks: dict[str, str]
