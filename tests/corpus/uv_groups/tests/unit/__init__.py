"""Fast tests without external services."""
