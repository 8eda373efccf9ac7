"""Pydantic models for HTTP bodies and Kafka events."""
