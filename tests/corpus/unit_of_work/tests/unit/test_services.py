"""Service functions against the fake Unit of Work."""

from uuid import uuid4

import pytest

from app.exceptions import NoteNotFound, StorageUnavailable
from app.schemas.messages import ModerationVerdict
from app.services import health, moderation, notes
from tests.fakes import FakeUnitOfWork


async def test_write_note_commits_note_and_event_together(uow: FakeUnitOfWork) -> None:
    note = await notes.write_note(uow, "grace", "Standup", "Ship it", "notes.v2")
    assert uow.commits == 1
    assert uow.notes.rows[note.id].revisions[0].body == "Ship it"
    [event] = uow.outbox.rows
    assert event.topic == "notes.v2"
    assert event.body["note_id"] == str(note.id)


async def test_leaving_the_block_rolls_back(uow: FakeUnitOfWork) -> None:
    with pytest.raises(NoteNotFound):
        await notes.read_note(uow, uuid4())
    assert uow.rollbacks == 1
    assert uow.commits == 0


async def test_browse_and_read(uow: FakeUnitOfWork) -> None:
    note = await notes.write_note(uow, "ada", "t", "b", "notes.v2")
    assert (await notes.read_note(uow, note.id)).revisions[0].body == "b"
    assert await notes.browse_notes(uow, 10, "ada") == [note]
    assert await notes.browse_notes(uow, 10, "nobody") == []


async def test_a_rejected_note_is_archived_once(uow: FakeUnitOfWork) -> None:
    note = await notes.write_note(uow, "ada", "t", "b", "notes.v2")
    verdict = ModerationVerdict(message_id="m-1", note_id=note.id, decision="reject")
    assert await moderation.apply_verdict(uow, verdict) is True
    assert await moderation.apply_verdict(uow, verdict) is False
    assert uow.notes.rows[note.id].state == "archived"


async def test_an_approved_note_stays_published(uow: FakeUnitOfWork) -> None:
    note = await notes.write_note(uow, "ada", "t", "b", "notes.v2")
    verdict = ModerationVerdict(message_id="m-2", note_id=note.id, decision="approve")
    await moderation.apply_verdict(uow, verdict)
    assert uow.notes.rows[note.id].state == "published"


async def test_a_verdict_about_an_unknown_note_fails(uow: FakeUnitOfWork) -> None:
    verdict = ModerationVerdict(message_id="m-3", note_id=uuid4(), decision="reject")
    with pytest.raises(NoteNotFound):
        await moderation.apply_verdict(uow, verdict)
    assert uow.inbox.ids == set()


async def test_storage_ready_pings(uow: FakeUnitOfWork) -> None:
    await health.storage_ready(uow)
    assert uow.pings == 1


async def test_storage_failure_is_translated(uow: FakeUnitOfWork) -> None:
    async def broken() -> None:
        raise OSError("connection refused")

    uow.ping = broken  # type: ignore[method-assign]
    with pytest.raises(StorageUnavailable):
        await health.storage_ready(uow)
