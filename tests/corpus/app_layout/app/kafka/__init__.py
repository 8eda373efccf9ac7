"""Kafka clients: the outbox relay's producer and the reply consumer."""
