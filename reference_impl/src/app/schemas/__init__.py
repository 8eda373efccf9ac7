"""Pydantic models for the HTTP API and the Kafka event envelopes."""
