"""Project scripts: rendering, installing and versioning the command."""
