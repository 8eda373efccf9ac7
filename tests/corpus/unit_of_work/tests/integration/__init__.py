"""Integration tests against PostgreSQL (DATABASE_URL)."""
