"""Data access: the only layer that builds SQL."""
