"""Typed settings read from the environment and an optional ``.env`` file."""

from functools import lru_cache

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every tunable of the invoice service.

    Attributes:
        database_url: Async SQLAlchemy URL of PostgreSQL (asyncpg driver).
        kafka_bootstrap_servers: Comma-separated Kafka bootstrap servers.
        invoices_topic: Topic receiving invoice events from the outbox.
        payments_topic: Topic of payment events consumed by the service.
        payments_dlq_topic: Dead letter topic for payment events that fail.
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    service_name: str = "invoice-service"
    log_level: str = "INFO"
    database_url: SecretStr = SecretStr("postgresql+asyncpg://localhost:5432/invoices")
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=20, ge=0)
    db_pool_timeout: float = Field(default=5.0, gt=0)
    db_pool_recycle: int = Field(default=1800, ge=60)
    db_pool_pre_ping: bool = False
    kafka_bootstrap_servers: str = "localhost:9092"
    kafka_request_timeout_ms: int = 10_000
    kafka_retry_backoff_ms: int = 250
    kafka_enable_idempotence: bool = False
    invoices_topic: str = "invoices.v1"
    payments_topic: str = "payments.v1"
    payments_dlq_topic: str = "payments.v1.dlq"
    payments_group_id: str = "invoice-service.payments"
    relay_batch_size: int = Field(default=100, ge=1)
    relay_interval_s: float = Field(default=0.5, gt=0)


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings, read once."""
    return Settings()
