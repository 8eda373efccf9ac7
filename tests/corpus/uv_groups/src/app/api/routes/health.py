"""Kubernetes-style probes."""

from fastapi import APIRouter

from app.api.dependencies import Session
from app.schemas.items import ErrorOut, ProbeOut
from app.services.probes import database_answers

router = APIRouter(tags=["health"])


@router.get(
    "/health/live",
    summary="Liveness",
    description="200 as long as the process serves requests.",
    responses={500: {"model": ErrorOut, "description": "Broken process"}},
)
async def live() -> ProbeOut:
    """Liveness probe."""
    return ProbeOut(healthy=True)


@router.get(
    "/health/ready",
    summary="Readiness",
    description="200 when PostgreSQL answers, else 503.",
    responses={503: {"model": ErrorOut, "description": "Database unreachable"}},
)
async def ready(session: Session) -> ProbeOut:
    """Readiness probe."""
    await database_answers(session)
    return ProbeOut(healthy=True)
