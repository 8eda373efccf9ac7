"""Cross-cutting infrastructure: configuration, database and logging."""
