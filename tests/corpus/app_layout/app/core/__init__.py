"""Cross-cutting infrastructure: settings, database and logging."""
