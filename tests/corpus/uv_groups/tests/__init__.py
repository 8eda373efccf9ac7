"""Inventory service tests."""
