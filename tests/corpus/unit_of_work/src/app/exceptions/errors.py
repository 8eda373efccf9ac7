"""Exception hierarchy: each error carries its HTTP status and error type."""

from __future__ import annotations

from uuid import UUID


class NotesError(Exception):
    """Base of the service's expected errors."""

    http_status: int = 400
    error_type: str = "notes_error"


class NoteNotFound(NotesError):
    """No note has the requested id."""

    http_status = 404
    error_type = "not_found"

    def __init__(self, note_id: UUID) -> None:
        super().__init__(f"note {note_id} not found")


class StorageUnavailable(NotesError):
    """The database is unreachable."""

    http_status = 503
    error_type = "unavailable"

    def __init__(self) -> None:
        super().__init__("storage is unavailable")
