"""Configuration, database and logging."""
