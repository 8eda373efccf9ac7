"""Notes endpoints: thin adapters from HTTP to the service functions."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query

from app.api.dependencies import CurrentSettings, UnitOfWork
from app.schemas.api import NewNote, NoteOut, NoteWithRevisions, Problem
from app.services import notes

router = APIRouter(prefix="/notes", tags=["notes"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "Unknown note"}
}
INVALID: dict[int | str, dict[str, Any]] = {422: {"model": Problem, "description": "Invalid input"}}


@router.post(
    "",
    status_code=201,
    summary="Write a note",
    description="Creates the note with its first revision and emits `note.published`.",
    responses={**INVALID},
)
async def create_note(payload: NewNote, uow: UnitOfWork, settings: CurrentSettings) -> NoteOut:
    """Create a note."""
    return await notes.write_note(
        uow, payload.author, payload.title, payload.body, settings.notes_topic
    )


@router.get(
    "",
    summary="Browse notes",
    description="The newest notes first, optionally of one author.",
    responses={**INVALID},
)
async def list_notes(
    uow: UnitOfWork,
    author: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[NoteOut]:
    """List notes."""
    return await notes.browse_notes(uow, limit, author)


@router.get(
    "/{note_id}",
    summary="Read a note",
    description="One note with all its revisions.",
    responses={**NOT_FOUND, **INVALID},
)
async def get_note(note_id: UUID, uow: UnitOfWork) -> NoteWithRevisions:
    """Read one note."""
    return await notes.read_note(uow, note_id)
