"""Pydantic models of the HTTP API and of the Kafka messages."""
