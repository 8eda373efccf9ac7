"""Settings: environment variables (case-insensitive) and an optional ``.env`` file."""

from functools import lru_cache

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Inventory service configuration.

    ``kafka_bootstrap_servers`` is read from ``KAFKA_BOOTSTRAP_SERVERS`` (names are matched
    case-insensitively, no prefix); the database DSN from ``DATABASE_URL`` or ``DB_URL``
    (or ``postgres_dsn=`` when constructed in code).
    """

    model_config = SettingsConfigDict(
        env_prefix="", env_file=".env", extra="ignore", populate_by_name=True
    )

    postgres_dsn: SecretStr = Field(
        default=SecretStr("postgresql+asyncpg://localhost:5432/inventory"),
        validation_alias=AliasChoices("DATABASE_URL", "DB_URL"),
    )
    pool_size: int = 10
    pool_overflow: int = 10
    pool_timeout: float = 5.0
    pool_recycle: int = 900

    kafka_bootstrap_servers: str = "localhost:9092"
    kafka_retry_backoff_ms: int = 300
    kafka_request_timeout_ms: int = 10_000
    kafka_idempotent: bool = False
    inventory_topic: str = "inventory.v1"
    orders_topic: str = "orders.v1"
    orders_dead_letter_topic: str = "orders.v1.dead-letter"
    consumer_group_id: str = "inventory-service"

    relay_batch_size: int = 100
    relay_poll_seconds: float = 0.5
    worker_restart_seconds: float = 2.0
    log_level: str = "INFO"


@lru_cache(maxsize=1)
def settings_from_env() -> Settings:
    """Return the settings of this process."""
    return Settings()
