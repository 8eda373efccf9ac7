"""Exceptions of the notes service."""

from app.exceptions.errors import NoteNotFound, NotesError, StorageUnavailable

__all__ = ["NoteNotFound", "NotesError", "StorageUnavailable"]
