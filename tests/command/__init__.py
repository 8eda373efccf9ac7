"""Tests of the command definition, its rendering, packaging, installation and versioning."""
