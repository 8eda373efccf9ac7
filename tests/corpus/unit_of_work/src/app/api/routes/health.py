"""Health endpoints."""

from fastapi import APIRouter

from app.api.dependencies import UnitOfWork
from app.schemas.api import Health, Problem
from app.services.health import storage_ready

router = APIRouter(prefix="/health", tags=["health"])


@router.get(
    "/live",
    summary="Liveness",
    description="The process is running and serving HTTP.",
    responses={500: {"model": Problem, "description": "Internal error"}},
)
async def liveness() -> Health:
    """Always passes while the event loop runs."""
    return Health()


@router.get(
    "/ready",
    summary="Readiness",
    description="The database answers; otherwise 503.",
    responses={503: {"model": Problem, "description": "Database unavailable"}},
)
async def readiness(uow: UnitOfWork) -> Health:
    """Pass when the database answers."""
    await storage_ready(uow)
    return Health()
