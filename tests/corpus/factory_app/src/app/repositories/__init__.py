"""Data access: every SQL statement of the service lives here."""
