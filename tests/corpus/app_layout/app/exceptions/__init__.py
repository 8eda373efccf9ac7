"""Domain exceptions and the handlers that turn them into one JSON error body."""

from app.exceptions.errors import (
    DependencyUnavailableError,
    TicketNotFoundError,
    TicketServiceError,
)

__all__ = ["DependencyUnavailableError", "TicketNotFoundError", "TicketServiceError"]
