"""Payments consumer: manual commits, bounded retries, DLQ and graceful stop.

Delivery guarantees:

* Offsets are committed only after the records' database transactions
  committed (at-least-once); duplicates are absorbed by the
  processed-events table.
* Undecodable or schema-invalid records, events for unknown orders, and
  records still failing after ``consumer_max_attempts`` go to the DLQ topic
  with headers describing the failure; the consumer then moves on.
* Unknown event types are logged and skipped (the topic may carry newer
  event types this service does not need).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import uuid
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import Settings
from app.core.database import create_engine, create_session_factory
from app.core.logging import bind_correlation_id, reset_correlation_id
from app.exceptions import OrderNotFoundError
from app.kafka.clients import AIOKafkaConsumer
from app.kafka.lag import LagMonitor
from app.kafka.producer import EventPublisher, build_producer
from app.schemas.events import (
    PAYMENT_PAYLOADS,
    EventEnvelope,
    PaymentPayload,
)
from app.services.payment_events import PaymentEventService, ProcessingOutcome
from app.services.ports import CORRELATION_HEADER, OutgoingMessage

logger = logging.getLogger(__name__)

DecodedEvent = tuple[EventEnvelope, PaymentPayload | None]


class PoisonMessageError(Exception):
    """The record can never be processed (retrying would not help)."""


def decode_event(value: bytes | None) -> DecodedEvent:
    """Validate a record's envelope and, for known types, its payload.

    Args:
        value: The raw record value.

    Returns:
        The envelope and the typed payload (``None`` for unknown event types).

    Raises:
        PoisonMessageError: When the value is not a valid event.
    """
    if value is None:
        raise PoisonMessageError("empty record value (tombstone)")
    try:
        envelope = EventEnvelope.model_validate_json(value)
        payload_model = PAYMENT_PAYLOADS.get(envelope.event_type)
        if payload_model is None:
            return envelope, None
        return envelope, payload_model.model_validate(envelope.payload)
    except ValidationError as exc:
        raise PoisonMessageError(f"invalid event: {exc.errors()[:3]}") from exc


def header_value(record: Any, name: str) -> str | None:
    """Return a record header decoded as UTF-8, if present.

    Args:
        record: The consumer record.
        name: Header name.

    Returns:
        The header value or ``None``.
    """
    for key, raw in record.headers or ():
        if key == name and raw is not None:
            return bytes(raw).decode("utf-8", errors="replace")
    return None


def build_consumer(settings: Settings) -> Any:
    """Create an (unstarted) consumer that never auto-commits.

    Args:
        settings: Application settings.

    Returns:
        An ``AIOKafkaConsumer`` subscribed to the payments topic.
    """
    return AIOKafkaConsumer(
        settings.payments_topic,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=f"{settings.kafka_client_id}-consumer",
        group_id=settings.consumer_group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        session_timeout_ms=settings.consumer_session_timeout_ms,
        heartbeat_interval_ms=settings.consumer_heartbeat_interval_ms,
    )


class PaymentsConsumer:
    """Consumes ``payments.v1`` and applies each event through the service."""

    def __init__(
        self,
        *,
        consumer: Any,
        service: PaymentEventService,
        dlq: EventPublisher,
        settings: Settings,
        lag_monitor: LagMonitor,
    ) -> None:
        """Initialise the consumer loop.

        Args:
            consumer: An ``AIOKafkaConsumer`` (started by :meth:`run`).
            service: Applies decoded events.
            dlq: Publisher used for dead letters.
            settings: Application settings (topics, retry policy).
            lag_monitor: Lag gauges.
        """
        self._consumer = consumer
        self._service = service
        self._dlq = dlq
        self._settings = settings
        self._lag = lag_monitor

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set, then commit and leave the group.

        The batch in flight when ``stop`` is set is finished and committed.

        Args:
            stop: Set to request a graceful shutdown.
        """
        await self._consumer.start()
        logger.info("consumer_started", extra={"topic": self._settings.payments_topic})
        try:
            while not stop.is_set():
                batch = await self._consumer.getmany(
                    timeout_ms=200, max_records=self._settings.consumer_batch_size
                )
                await self.process_batch(batch)
        finally:
            await self._consumer.stop()
            logger.info("consumer_stopped")

    async def process_batch(self, batch: dict[Any, list[Any]]) -> None:
        """Process records partition by partition, committing after each.

        Args:
            batch: Records by ``TopicPartition`` as returned by ``getmany``.
        """
        for partition, records in batch.items():
            await self._process_partition_records(records)
            await self._consumer.commit({partition: records[-1].offset + 1})
        if batch:
            await self._lag.maybe_sample(self._consumer)

    async def _process_partition_records(self, records: list[Any]) -> None:
        """Apply valid events in one transaction; handle the rest one by one.

        Records that are not valid known events (poison, unknown types) are
        always handled individually. If the batch transaction fails, every
        record is retried individually, with the per-record retry/DLQ policy.
        """
        valid, others = _split_valid(records)
        if valid and not await self._apply_batch(valid):
            others = records
        for record in others:
            await self.handle_record(record)

    async def _apply_batch(self, valid: list[tuple[Any, DecodedEvent]]) -> bool:
        """Apply decoded events together; ``False`` when the batch failed."""
        events = [(envelope, payload) for _, (envelope, payload) in valid if payload]
        try:
            outcomes = await self._service.handle_batch(
                events=events, topic=valid[0][0].topic
            )
        except Exception as exc:  # fall back to per-record processing
            logger.warning(
                "batch_failed_retrying_individually",
                extra={"size": len(valid), "error": repr(exc)},
            )
            return False
        for (record, (envelope, _)), outcome in zip(valid, outcomes, strict=True):
            _log_outcome(record, envelope, outcome)
        return True

    async def handle_record(self, record: Any) -> None:
        """Process one record with the correlation id it carries bound to logs.

        Args:
            record: The consumer record.
        """
        token = bind_correlation_id(header_value(record, CORRELATION_HEADER))
        try:
            await self._process_with_retries(record)
        finally:
            reset_correlation_id(token)

    async def _process_with_retries(self, record: Any) -> None:
        """Retry transient failures with exponential backoff, then dead-letter."""
        attempts = self._settings.consumer_max_attempts
        for attempt in range(1, attempts + 1):
            try:
                await self._process(record)
            except (PoisonMessageError, OrderNotFoundError) as exc:
                await self._dead_letter(record, exc, attempt)
            except Exception as exc:  # anything else is treated as transient
                if attempt == attempts:
                    await self._dead_letter(record, exc, attempt)
                    return
                logger.warning(
                    "event_retry", extra={"attempt": attempt, "error": repr(exc)}
                )
                await asyncio.sleep(
                    self._settings.consumer_retry_backoff_s * 2 ** (attempt - 1)
                )
                continue
            return

    async def _process(self, record: Any) -> None:
        """Decode, validate and apply one record."""
        envelope, payload = decode_event(record.value)
        if payload is None:
            logger.info(
                "event_skipped_unknown_type", extra={"event_type": envelope.event_type}
            )
            return
        outcome = await self._service.handle(
            envelope=envelope, payload=payload, topic=record.topic
        )
        _log_outcome(record, envelope, outcome)

    async def _dead_letter(self, record: Any, error: Exception, attempts: int) -> None:
        """Publish the original record to the DLQ with diagnostic headers."""
        message = OutgoingMessage(
            message_id=_record_id(record),
            topic=self._settings.payments_dlq_topic,
            key=record.key,
            value=record.value or b"",
            headers=dlq_headers(record, error, attempts),
        )
        await self._dlq.publish(message)
        logger.error(
            "event_dead_lettered", extra={"error": repr(error), "offset": record.offset}
        )


def _split_valid(
    records: list[Any],
) -> tuple[list[tuple[Any, DecodedEvent]], list[Any]]:
    """Separate valid known-type events from records needing special handling."""
    valid: list[tuple[Any, DecodedEvent]] = []
    others: list[Any] = []
    for record in records:
        try:
            decoded = decode_event(record.value)
        except PoisonMessageError:
            others.append(record)
            continue
        if decoded[1] is None:
            others.append(record)
        else:
            valid.append((record, decoded))
    return valid, others


def _log_outcome(record: Any, envelope: EventEnvelope, outcome: Any) -> None:
    """Log one processed event with the correlation id it carried."""
    correlation_id = header_value(record, CORRELATION_HEADER) or envelope.correlation_id
    level = logging.INFO if outcome is ProcessingOutcome.APPLIED else logging.WARNING
    logger.log(
        level,
        "payment_event_processed",
        extra={
            "event_id": str(envelope.event_id),
            "outcome": outcome.value,
            "correlation_id": correlation_id,
        },
    )


def dlq_headers(
    record: Any, error: Exception, attempts: int
) -> list[tuple[str, bytes]]:
    """Describe why and from where a record was dead-lettered.

    Args:
        record: The failed record.
        error: The last error.
        attempts: How many times processing was attempted.

    Returns:
        Diagnostic headers followed by the record's original headers.
    """
    return [
        ("dlq_error", repr(error)[:1000].encode()),
        ("dlq_error_type", type(error).__name__.encode()),
        ("dlq_original_topic", record.topic.encode()),
        ("dlq_original_partition", str(record.partition).encode()),
        ("dlq_original_offset", str(record.offset).encode()),
        ("dlq_attempts", str(attempts).encode()),
        *[(k, bytes(v)) for k, v in record.headers or () if v is not None],
    ]


def _record_id(record: Any) -> uuid.UUID:
    """Derive a stable id for a record (used only in publish results)."""
    return uuid.uuid5(
        uuid.NAMESPACE_URL, f"{record.topic}/{record.partition}/{record.offset}"
    )


def install_shutdown_handlers(stop: asyncio.Event) -> None:
    """Set ``stop`` on SIGTERM or SIGINT.

    Args:
        stop: The event the run loop watches.
    """
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)


def remove_shutdown_handlers() -> None:
    """Restore default SIGTERM/SIGINT handling."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.remove_signal_handler(sig)


def build_payments_consumer(
    settings: Settings, *, engine: AsyncEngine, dlq: EventPublisher
) -> PaymentsConsumer:
    """Wire the consumer loop with its service, DLQ publisher and lag monitor.

    Args:
        settings: Application settings.
        engine: Database engine.
        dlq: Publisher for dead letters.

    Returns:
        The consumer loop (not yet started).
    """
    return PaymentsConsumer(
        consumer=build_consumer(settings),
        service=PaymentEventService(
            session_factory=create_session_factory(engine),
            orders_topic=settings.orders_topic,
        ),
        dlq=dlq,
        settings=settings,
        lag_monitor=LagMonitor(
            group_id=settings.consumer_group_id,
            log_interval_s=settings.lag_log_interval_s,
        ),
    )


async def run_consumer(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Run the payments consumer process until SIGTERM/SIGINT (or ``stop``).

    Args:
        settings: Application settings.
        stop: Optional externally controlled stop event.
    """
    stop = stop or asyncio.Event()
    install_shutdown_handlers(stop)
    engine = create_engine(settings)
    dlq = EventPublisher(lambda: build_producer(settings))
    consumer = build_payments_consumer(settings, engine=engine, dlq=dlq)
    try:
        await consumer.run(stop)
    finally:
        remove_shutdown_handlers()
        await dlq.stop()
        await engine.dispose()
