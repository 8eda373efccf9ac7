"""Kafka adapters: event bus, outbox relay and verdict consumer processes."""
