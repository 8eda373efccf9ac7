"""Integration tests against the PostgreSQL named by DATABASE_URL."""
