"""Health and metrics endpoints."""

from __future__ import annotations

from http import HTTPStatus

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.api.dependencies import HealthServiceDep
from app.schemas.errors import ErrorResponse
from app.schemas.health import LivenessResponse, ReadinessResponse

router = APIRouter(tags=["health"])


@router.get(
    "/health/live",
    response_model=LivenessResponse,
    summary="Liveness probe",
    description="Answers 200 while the process is running; checks nothing else.",
    responses={
        HTTPStatus.INTERNAL_SERVER_ERROR.value: {
            "model": ErrorResponse,
            "description": "Unexpected server error.",
        }
    },
)
async def live() -> LivenessResponse:
    """Report that the process is up.

    Returns:
        Always ``ok``.
    """
    return LivenessResponse()


@router.get(
    "/health/ready",
    response_model=ReadinessResponse,
    summary="Readiness probe",
    description=(
        "Answers 200 when PostgreSQL answers a query and the Kafka producer is "
        "connected; 503 with per-dependency details otherwise."
    ),
    responses={
        HTTPStatus.SERVICE_UNAVAILABLE.value: {
            "model": ReadinessResponse,
            "description": "A dependency is unreachable.",
        }
    },
)
async def ready(service: HealthServiceDep, response: Response) -> ReadinessResponse:
    """Report whether the dependencies are reachable.

    Args:
        service: Health service.
        response: Used to set 503 when not ready.

    Returns:
        The readiness report.
    """
    report = await service.readiness()
    if report.status != "ok":
        response.status_code = HTTPStatus.SERVICE_UNAVAILABLE
    return report


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    """Expose Prometheus metrics of this process.

    Returns:
        The text exposition format.
    """
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
