"""Inventory use cases as plain async functions."""
