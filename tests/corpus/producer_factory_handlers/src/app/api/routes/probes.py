"""Health probes for orchestrators."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.core.database import ping
from app.schemas.api import ProbeResult, ProblemBody

router = APIRouter(prefix="/health", tags=["probes"])


@router.get(
    "/live",
    summary="Liveness",
    description="The process answers HTTP.",
    responses={500: {"model": ProblemBody, "description": "Process failure"}},
)
async def liveness() -> ProbeResult:
    """Always healthy while the event loop runs."""
    return ProbeResult(healthy=True)


@router.get(
    "/ready",
    response_model=ProbeResult,
    summary="Readiness",
    description="PostgreSQL answers `SELECT 1`; otherwise 503.",
    responses={503: {"model": ProbeResult, "description": "Database unreachable"}},
)
async def readiness() -> ProbeResult | JSONResponse:
    """Check the database connection."""
    try:
        await ping()
    except Exception:
        return JSONResponse({"healthy": False}, status_code=503)
    return ProbeResult(healthy=True)
