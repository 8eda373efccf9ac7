"""HTTP bodies of the booking endpoints."""

import uuid
from datetime import date, datetime
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

GUEST: dict[str, JsonValue] = {"full_name": "Ada Lovelace"}
BOOKING: dict[str, JsonValue] = {
    "id": "0b7e5b0e-5f6c-4a8e-9d61-2b2f4d7b9c10",
    "room": "204",
    "check_in": "2026-07-01",
    "check_out": "2026-07-04",
    "state": "pending",
    "created_at": "2026-06-01T12:00:00Z",
    "guests": [GUEST],
}


class GuestIn(BaseModel):
    """A guest named on a booking request."""

    model_config = ConfigDict(json_schema_extra={"examples": [GUEST]})

    full_name: str = Field(min_length=1, max_length=120)


class BookingRequest(BaseModel):
    """Body of ``POST /bookings``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "room": "204",
                    "check_in": "2026-07-01",
                    "check_out": "2026-07-04",
                    "guests": [GUEST],
                }
            ]
        }
    )

    room: str = Field(min_length=1, max_length=20)
    check_in: date
    check_out: date
    guests: list[GuestIn] = Field(min_length=1, max_length=8)

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        if self.check_out <= self.check_in:
            raise ValueError("check_out must be after check_in")
        return self


class GuestView(BaseModel):
    """A stored guest."""

    model_config = ConfigDict(from_attributes=True)

    full_name: str


class BookingView(BaseModel):
    """A booking as returned by the API."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [BOOKING]}
    )

    id: uuid.UUID
    room: str
    check_in: date
    check_out: date
    state: str
    created_at: datetime
    guests: list[GuestView]


class BookingList(BaseModel):
    """One page of bookings."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [BOOKING], "offset": 0}]}
    )

    items: list[BookingView]
    offset: int
