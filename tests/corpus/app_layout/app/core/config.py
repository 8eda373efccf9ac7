"""Typed settings, read from the environment and an optional ``.env`` file."""

from functools import lru_cache

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Configuration of the ticket service; fields map to upper-case variables."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: SecretStr
    kafka_bootstrap_servers: str
    log_level: str = "INFO"

    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=5, ge=0)
    db_pool_timeout: float = Field(default=5.0, gt=0)
    db_pool_recycle: int = Field(default=1800, gt=0)
    db_pool_pre_ping: bool = True

    ticket_events_topic: str = "helpdesk.tickets.v1"
    replies_topic: str = "helpdesk.replies.v1"
    replies_dlq_topic: str = "helpdesk.replies.v1.dlq"
    consumer_group: str = "ticket-service.replies"

    kafka_idempotence: bool = False
    kafka_send_attempts: int = Field(default=3, ge=1)
    kafka_retry_backoff_ms: int = Field(default=200, ge=0)
    kafka_request_timeout_ms: int = Field(default=10_000, gt=0)
    relay_interval_s: float = Field(default=1.0, gt=0)
    relay_batch_size: int = Field(default=100, ge=1)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, parsed once on first use."""
    return Settings()
