"""Liveness and readiness probes."""

from fastapi import APIRouter, Request, Response, status

from app.core.database import database_reachable
from app.schemas.common import ErrorBody, HealthStatus

router = APIRouter(prefix="/health", tags=["health"])


@router.get(
    "/live",
    summary="Liveness probe",
    description="Answers 200 while the process is able to serve requests.",
    responses={500: {"model": ErrorBody, "description": "The process is broken"}},
)
async def live() -> HealthStatus:
    """Report that the process is alive."""
    return HealthStatus(status="ok")


@router.get(
    "/ready",
    summary="Readiness probe",
    description="Answers 200 when PostgreSQL accepts queries, 503 otherwise.",
    responses={503: {"model": HealthStatus, "description": "PostgreSQL unreachable"}},
)
async def ready(request: Request, response: Response) -> HealthStatus:
    """Report whether the database is reachable."""
    if await database_reachable(request.app.state.engine):
        return HealthStatus(status="ok")
    response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return HealthStatus(status="unavailable")
