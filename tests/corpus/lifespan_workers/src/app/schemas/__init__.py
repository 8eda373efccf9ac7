"""Pydantic request, response and event models."""
