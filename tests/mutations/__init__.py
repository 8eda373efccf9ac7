"""Mutation suite: every checklist item is caught by at least one mutation of reference_impl."""
