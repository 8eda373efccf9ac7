"""Kafka adapters: producer, raw-bytes consumer and message handlers."""
