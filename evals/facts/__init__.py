"""Shared facts about the project under test, computed once per run."""
