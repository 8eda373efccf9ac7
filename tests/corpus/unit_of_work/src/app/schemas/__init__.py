"""Pydantic schemas: HTTP bodies and Kafka messages."""
