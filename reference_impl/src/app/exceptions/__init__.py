"""Custom exception hierarchy shared by every layer."""

from app.exceptions.base import (
    AppError,
    ConfigurationError,
    InvalidCursorError,
    InvalidStateTransitionError,
    OrderNotFoundError,
)

__all__ = [
    "AppError",
    "ConfigurationError",
    "InvalidCursorError",
    "InvalidStateTransitionError",
    "OrderNotFoundError",
]
