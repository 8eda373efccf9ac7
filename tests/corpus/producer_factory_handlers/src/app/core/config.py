"""Environment-driven configuration."""

from functools import cache

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class AppSettings(BaseSettings):
    """Configuration of the booking service, one field per environment variable."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: SecretStr = SecretStr("postgresql+asyncpg://localhost/bookings")
    pool_size: int = 10
    pool_max_overflow: int = 20
    pool_timeout_s: float = 5.0
    pool_recycle_s: int = 1800

    kafka_bootstrap_servers: str = "localhost:9092"
    kafka_retries: int = 5
    kafka_retry_backoff_ms: int = 200
    kafka_enable_idempotence: bool = False
    booking_events_topic: str = "bookings.v1"
    payment_events_topic: str = "booking-payments.v1"
    dead_letter_topic: str = "booking-payments.v1.dlq"
    consumer_group: str = "booking-service"

    outbox_batch: int = 50
    outbox_idle_s: float = 1.0
    log_level: str = "INFO"


@cache
def load_settings() -> AppSettings:
    """Read the settings once per process."""
    return AppSettings()
