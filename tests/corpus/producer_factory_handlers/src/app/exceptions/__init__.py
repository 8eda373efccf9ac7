"""Errors raised by the booking domain."""


class BookingError(Exception):
    """Base class; ``code`` and ``http_status`` describe the error to clients."""

    code: str = "booking_error"
    http_status: int = 400


class BookingNotFoundError(BookingError):
    """The booking id is unknown."""

    code = "booking_not_found"
    http_status = 404


class BookingStateError(BookingError):
    """The booking cannot move to the requested state."""

    code = "booking_state_conflict"
    http_status = 409


class DeliveryError(BookingError):
    """Kafka did not accept an event after every retry."""

    code = "event_delivery_failed"
    http_status = 503
