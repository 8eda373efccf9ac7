"""Kubernetes-style probes."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.core.database import is_database_up
from app.schemas.errors import ErrorEnvelope, Probe

router = APIRouter(prefix="/health", tags=["health"])


@router.get(
    "/live",
    response_model=Probe,
    summary="Liveness probe",
    description="Succeeds while the event loop is responsive.",
    responses={500: {"model": ErrorEnvelope, "description": "Unexpected failure"}},
)
async def live() -> Probe:
    """Liveness."""
    return Probe(status="pass")


@router.get(
    "/ready",
    response_model=Probe,
    summary="Readiness probe",
    description="Succeeds when PostgreSQL answers; 503 otherwise.",
    responses={503: {"model": Probe, "description": "Database unavailable"}},
)
async def ready(request: Request) -> Probe | JSONResponse:
    """Readiness: the database must answer."""
    if await is_database_up(request.app.state.engine):
        return Probe(status="pass")
    return JSONResponse({"status": "fail"}, status_code=503)
