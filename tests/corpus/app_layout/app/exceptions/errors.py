"""Exceptions raised by the service layer, each knowing its HTTP status."""


class TicketServiceError(Exception):
    """Base class of every expected failure of the service."""

    status_code = 500
    code = "internal_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TicketNotFoundError(TicketServiceError):
    """The requested ticket does not exist."""

    status_code = 404
    code = "ticket_not_found"


class DependencyUnavailableError(TicketServiceError):
    """A backing service (the database) cannot be reached."""

    status_code = 503
    code = "dependency_unavailable"
