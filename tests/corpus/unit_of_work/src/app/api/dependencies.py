"""FastAPI dependencies: a fresh Unit of Work per request, and the settings."""

from typing import Annotated

from fastapi import Depends, Request

from app.core.config import Settings
from app.services.unit_of_work import AbstractUnitOfWork, SqlAlchemyUnitOfWork


def unit_of_work(request: Request) -> AbstractUnitOfWork:
    """A new, unopened Unit of Work on the app's session factory."""
    return SqlAlchemyUnitOfWork(request.app.state.session_factory)


def current_settings(request: Request) -> Settings:
    """The settings the app was started with."""
    settings: Settings = request.app.state.settings
    return settings


UnitOfWork = Annotated[AbstractUnitOfWork, Depends(unit_of_work)]
CurrentSettings = Annotated[Settings, Depends(current_settings)]
