"""Query functions; each takes the caller's session."""
