"""Applying moderation verdicts received from Kafka, at most once per message."""

from __future__ import annotations

import logging

from app.exceptions import NoteNotFound
from app.schemas.messages import ModerationVerdict
from app.services.unit_of_work import AbstractUnitOfWork

log = logging.getLogger(__name__)


async def apply_verdict(uow: AbstractUnitOfWork, verdict: ModerationVerdict) -> bool:
    """Archive a rejected note; returns False for an already processed message.

    Raises:
        NoteNotFound: If the verdict is about an unknown note.
    """
    async with uow:
        if await uow.inbox.seen(verdict.message_id):
            log.info("duplicate verdict ignored", extra={"message_id": verdict.message_id})
            return False
        note = await uow.notes.get(verdict.note_id)
        if note is None:
            raise NoteNotFound(verdict.note_id)
        if verdict.decision == "reject":
            note.state = "archived"
        await uow.inbox.remember(verdict.message_id)
        await uow.commit()
        return True
