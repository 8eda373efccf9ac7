"""Repositories: abstract ports and their SQLAlchemy adapters."""
