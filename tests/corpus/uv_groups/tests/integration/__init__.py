"""Tests against the PostgreSQL of DATABASE_URL."""
