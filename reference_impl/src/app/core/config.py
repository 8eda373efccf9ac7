"""Application settings loaded from the environment (and an optional ``.env``)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.exceptions.base import ConfigurationError

_ASYNC_SCHEME = "postgresql+asyncpg://"


class Settings(BaseSettings):
    """Typed configuration for the API, the outbox relay and the consumer.

    Required values (``DATABASE_URL``, ``KAFKA_BOOTSTRAP_SERVERS``) have no
    defaults so a misconfigured process refuses to start.
    """

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    app_name: str = "order-service"
    environment: Literal["development", "test", "staging", "production"] = "development"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    api_workers: int = Field(default=1, ge=1)

    database_url: SecretStr
    db_pool_size: int = Field(default=64, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)
    db_pool_timeout: float = Field(default=5.0, gt=0)
    db_pool_recycle: int = Field(default=1800, ge=-1)
    db_pool_pre_ping: bool = False
    db_echo: bool = False

    kafka_bootstrap_servers: str = Field(min_length=1)
    kafka_client_id: str = "order-service"
    kafka_enable_idempotence: bool = True
    kafka_request_timeout_ms: int = Field(default=10_000, ge=1000)
    kafka_retry_backoff_ms: int = Field(default=200, ge=10)
    kafka_linger_ms: int = Field(default=5, ge=0)
    kafka_health_timeout_s: float = Field(default=2.0, gt=0)
    health_cache_ttl_s: float = Field(default=1.0, ge=0)

    orders_topic: str = "orders.v1"
    payments_topic: str = "payments.v1"
    payments_dlq_topic: str = "payments.v1.dlq"
    consumer_group_id: str = "order-service.payments"
    consumer_max_attempts: int = Field(default=3, ge=1)
    consumer_retry_backoff_s: float = Field(default=0.2, ge=0)
    consumer_batch_size: int = Field(default=200, ge=1)
    consumer_session_timeout_ms: int = Field(default=10_000, ge=1000)
    consumer_heartbeat_interval_ms: int = Field(default=3_000, ge=100)
    consumer_metrics_port: int = Field(default=9101, ge=0, le=65535)
    lag_log_interval_s: float = Field(default=30.0, gt=0)

    relay_batch_size: int = Field(default=500, ge=1)
    relay_poll_interval_s: float = Field(default=0.5, gt=0)
    relay_lease_s: float = Field(default=30.0, gt=0)
    relay_metrics_port: int = Field(default=9102, ge=0, le=65535)

    @field_validator("database_url")
    @classmethod
    def _require_async_driver(cls, value: SecretStr) -> SecretStr:
        """Reject URLs that would load a synchronous driver."""
        if not value.get_secret_value().startswith(_ASYNC_SCHEME):
            msg = f"must start with {_ASYNC_SCHEME!r} (async driver asyncpg)"
            raise ValueError(msg)
        return value


def load_settings() -> Settings:
    """Build settings from the environment, failing with a readable message.

    Returns:
        The validated settings.

    Raises:
        ConfigurationError: When a required setting is missing or invalid.
    """
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        )
        msg = f"Invalid configuration: {problems}"
        raise ConfigurationError(msg) from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (loaded once).

    Returns:
        The cached settings instance.
    """
    return load_settings()
