"""Message handlers: the consumer hands them raw bytes, they validate and act."""

from collections.abc import Awaitable, Callable

from pydantic import BaseModel, ConfigDict, ValidationError

from app.exceptions import BookingError
from app.schemas.events import PaymentCapturedEvent
from app.services.payments import confirm_paid_booking

Handler = Callable[[bytes], Awaitable[None]]


class InvalidMessageError(BookingError):
    """The message is not a valid event of a known type."""

    code = "invalid_message"


class MessageEnvelope(BaseModel):
    """The part every event shares: its type."""

    model_config = ConfigDict(extra="allow")

    type: str


async def on_payment_captured(raw: bytes) -> None:
    """Validate a ``payment.captured`` event and confirm its booking.

    Raises:
        InvalidMessageError: If the payload does not match the schema.
    """
    try:
        event = PaymentCapturedEvent.model_validate_json(raw)
    except ValidationError as exc:
        raise InvalidMessageError(str(exc)) from exc
    await confirm_paid_booking(event)


HANDLERS: dict[str, Handler] = {"payment.captured": on_payment_captured}


async def handle_message(raw: bytes) -> None:
    """Route a raw message to the handler of its ``type``.

    Raises:
        InvalidMessageError: If the message is not JSON or its type is unknown.
    """
    try:
        handler = HANDLERS[MessageEnvelope.model_validate_json(raw).type]
    except (ValidationError, KeyError) as exc:
        raise InvalidMessageError(f"cannot route message: {exc}") from exc
    await handler(raw)
