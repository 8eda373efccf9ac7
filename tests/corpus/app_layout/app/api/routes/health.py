"""Liveness and readiness probes."""

from fastapi import APIRouter

from app.api.dependencies import ResourcesDep
from app.schemas.common import ErrorBody, Probe
from app.services.health import check_database

router = APIRouter(prefix="/health", tags=["health"])


@router.get(
    "/live",
    response_model=Probe,
    summary="Liveness probe",
    description="Answers 200 while the process can serve requests.",
    responses={500: {"model": ErrorBody, "description": "The process is broken."}},
)
async def live() -> Probe:
    """Report that the process is up."""
    return Probe(status="ok")


@router.get(
    "/ready",
    response_model=Probe,
    summary="Readiness probe",
    description="Answers 200 when PostgreSQL is reachable, 503 otherwise.",
    responses={503: {"model": ErrorBody, "description": "A dependency is down."}},
)
async def ready(resources: ResourcesDep) -> Probe:
    """Report whether the dependencies are reachable."""
    await check_database(resources.engine)
    return Probe(status="ok", checks={"database": "ok"})
