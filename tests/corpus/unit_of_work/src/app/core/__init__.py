"""Configuration, database plumbing and logging."""
