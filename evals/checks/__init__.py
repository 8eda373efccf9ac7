"""Checks, one per checklist item; every module here is imported by the registry."""
