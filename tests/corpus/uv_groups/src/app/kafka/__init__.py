"""Kafka: producer factory, outbox relay and adjustment consumer."""
