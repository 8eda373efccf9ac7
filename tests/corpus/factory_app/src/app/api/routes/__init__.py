"""Routers of the invoice service."""
