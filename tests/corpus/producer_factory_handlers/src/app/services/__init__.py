"""Use cases of the booking service, as plain async functions."""
