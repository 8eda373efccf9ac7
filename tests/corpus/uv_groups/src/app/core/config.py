"""Settings: ``INVENTORY_*`` variables, plus the shared ``DATABASE_URL`` and broker."""

from functools import cache

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class InventorySettings(BaseSettings):
    """Runtime configuration; service-specific variables carry the INVENTORY_ prefix."""

    model_config = SettingsConfigDict(
        env_prefix="INVENTORY_", env_file=".env", extra="ignore", populate_by_name=True
    )

    database_url: SecretStr = Field(
        validation_alias=AliasChoices("DATABASE_URL", "INVENTORY_DATABASE_URL")
    )
    kafka_bootstrap_servers: str = Field(
        validation_alias=AliasChoices(
            "KAFKA_BOOTSTRAP_SERVERS", "INVENTORY_KAFKA_BOOTSTRAP_SERVERS"
        )
    )
    log_level: str = "info"
    json_logs: bool = True

    db_pool_size: int = 8
    db_pool_overflow: int = 4
    db_pool_timeout_s: int = 5
    db_pool_recycle_s: int = 900

    items_topic: str = "inventory.items.v1"
    adjustments_topic: str = "inventory.adjustments.v1"
    adjustments_dlq_topic: str = "inventory.adjustments.dlq.v1"
    consumer_group: str = "inventory"
    relay_idle_s: float = 1.0


@cache
def settings() -> InventorySettings:
    """The settings of this process (read once)."""
    return InventorySettings()
