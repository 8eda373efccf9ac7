"""Inventory service: stock items per warehouse, adjusted by Kafka events."""
