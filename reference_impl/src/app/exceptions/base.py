"""Domain and application exceptions with stable machine-readable codes."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any


class AppError(Exception):
    """Base class of errors that map to one structured API error body.

    Attributes:
        code: Stable, machine-readable error code.
        status_code: HTTP status the API answers with.
        message: Human-readable explanation.
        details: Extra context that helps the caller act on the error.
    """

    code = "internal_error"
    status_code = HTTPStatus.INTERNAL_SERVER_ERROR

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        """Initialise the error.

        Args:
            message: Human-readable explanation.
            details: Extra context for the caller.
        """
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details or {}


class ConfigurationError(AppError):
    """Settings are missing or invalid; the process must not start."""

    code = "configuration_error"


class OrderNotFoundError(AppError):
    """No order exists with the requested id."""

    code = "order_not_found"
    status_code = HTTPStatus.NOT_FOUND

    def __init__(self, order_id: object) -> None:
        """Initialise the error.

        Args:
            order_id: The id that was looked up.
        """
        super().__init__(
            f"Order {order_id} was not found", details={"order_id": str(order_id)}
        )


class InvalidStateTransitionError(AppError):
    """The order's current status does not allow the requested change."""

    code = "invalid_state_transition"
    status_code = HTTPStatus.CONFLICT

    def __init__(self, *, order_id: object, current: str, target: str) -> None:
        """Initialise the error.

        Args:
            order_id: The order being changed.
            current: Its current status.
            target: The status that was requested.
        """
        super().__init__(
            f"Order {order_id} cannot move from {current} to {target}",
            details={"order_id": str(order_id), "current": current, "target": target},
        )


class InvalidCursorError(AppError):
    """A pagination cursor could not be decoded."""

    code = "invalid_cursor"
    status_code = HTTPStatus.BAD_REQUEST

    def __init__(self, cursor: str) -> None:
        """Initialise the error.

        Args:
            cursor: The cursor as received.
        """
        super().__init__(
            "The pagination cursor is malformed; pass next_cursor unchanged",
            details={"cursor": cursor[:64]},
        )
