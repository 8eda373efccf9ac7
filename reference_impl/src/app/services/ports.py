"""Ports: what the services need from messaging, implemented by adapters.

The Kafka adapters (``app.kafka``) implement these; services depend only on
this module, and the process entry points wire the two together.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

CORRELATION_HEADER = "correlation_id"


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One record to publish."""

    message_id: uuid.UUID
    topic: str
    value: bytes
    key: bytes | None = None
    headers: list[tuple[str, bytes]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PublishResult:
    """Outcome of publishing one message (``error`` is ``None`` on success)."""

    message_id: uuid.UUID
    error: str | None = None


class BatchPublisher(Protocol):
    """Publishes messages in order and reports each outcome."""

    async def publish_many(
        self, messages: Sequence[OutgoingMessage]
    ) -> list[PublishResult]:
        """Publish messages in order and report each outcome."""
