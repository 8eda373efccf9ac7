"""Tests of the notes service."""
