"""Test suite of the ticket service."""
