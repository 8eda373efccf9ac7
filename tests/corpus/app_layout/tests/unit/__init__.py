"""Unit tests: no database, no broker."""
