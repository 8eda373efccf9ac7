"""Dependency aliases used in route signatures."""

from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import InventorySettings, settings
from app.core.database import db_session

Session = Annotated[AsyncSession, Depends(db_session)]
Config = Annotated[InventorySettings, Depends(settings)]
