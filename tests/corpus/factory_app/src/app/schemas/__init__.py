"""Pydantic schemas for the HTTP API and the Kafka events."""
