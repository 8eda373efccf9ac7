"""Kafka integration: producer, outbox relay, consumer and lag metrics."""
