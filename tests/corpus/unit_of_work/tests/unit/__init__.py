"""Unit tests with fake repositories and a fake Unit of Work."""
