"""Data access layer: the only code that builds SQL."""
