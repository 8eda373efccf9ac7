"""Settings, database engine and logging setup."""
