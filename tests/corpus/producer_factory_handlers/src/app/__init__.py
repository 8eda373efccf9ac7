"""Booking service package."""
