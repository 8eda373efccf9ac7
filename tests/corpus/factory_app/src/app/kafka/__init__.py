"""Kafka clients: the outbox publisher and the payments consumer."""
