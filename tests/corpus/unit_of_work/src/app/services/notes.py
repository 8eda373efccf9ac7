"""Use cases of the notes API, one function per command or query.

Results are read models built inside the ``async with uow`` block: once the block
exits the session is rolled back and closed, and ORM objects must not escape it.
"""

from __future__ import annotations

from uuid import UUID, uuid4

from app.exceptions import NoteNotFound
from app.models import Note, NoteRevision
from app.schemas.api import NoteOut, NoteWithRevisions
from app.schemas.messages import NoteEvent
from app.services.unit_of_work import AbstractUnitOfWork


async def write_note(
    uow: AbstractUnitOfWork, author: str, title: str, body: str, topic: str
) -> NoteOut:
    """Create a note with its first revision and announce it, in one commit."""
    async with uow:
        note = Note(id=uuid4(), author=author, title=title, state="published")
        note.revisions = [NoteRevision(number=1, body=body)]
        await uow.notes.add(note)
        event = NoteEvent(kind="note.published", note_id=note.id, author=author)
        await uow.outbox.put(topic, str(note.id), event.model_dump(mode="json"))
        await uow.commit()
        return NoteOut.model_validate(note)


async def read_note(uow: AbstractUnitOfWork, note_id: UUID) -> NoteWithRevisions:
    """Return one note with its revisions.

    Raises:
        NoteNotFound: If there is no such note.
    """
    async with uow:
        note = await uow.notes.get(note_id)
        if note is None:
            raise NoteNotFound(note_id)
        return NoteWithRevisions.model_validate(note)


async def browse_notes(uow: AbstractUnitOfWork, limit: int, author: str | None) -> list[NoteOut]:
    """Return the newest notes."""
    async with uow:
        return [NoteOut.model_validate(n) for n in await uow.notes.latest(limit, author)]
