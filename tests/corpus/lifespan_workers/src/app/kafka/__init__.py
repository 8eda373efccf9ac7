"""Kafka clients and the background workers run by the lifespan."""
