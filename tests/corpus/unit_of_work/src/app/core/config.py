"""Service configuration (pydantic-settings)."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Environment-driven settings of the notes service."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    database_url: SecretStr
    kafka_bootstrap_servers: str
    service_name: str = "notes-service"
    log_level: str = "INFO"

    pool_size: int = 10
    pool_max_overflow: int = 10
    pool_timeout_s: float = 10.0
    pool_recycle_s: int = 3600

    notes_topic: str = "notes.lifecycle.v2"
    verdicts_topic: str = "moderation.verdicts.v1"
    verdicts_dead_letter_topic: str = "moderation.verdicts.v1.deadletter"
    consumer_group_id: str = "notes-service"

    producer_max_attempts: int = 5
    producer_backoff_ms: int = 250
    relay_poll_s: float = 0.5


def load_settings() -> Settings:
    """Read the settings from the environment."""
    return Settings()
