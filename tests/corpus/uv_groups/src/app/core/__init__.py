"""Settings, database session scope and structlog configuration."""
