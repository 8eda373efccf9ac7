"""Settings validation."""

from __future__ import annotations

import pytest

from app.core import config
from app.core.config import Settings, get_settings, load_settings
from app.exceptions import ConfigurationError

VALID_URL = "postgresql+asyncpg://app:app@localhost:5432/orders"


def test_missing_required_settings_fail_with_clear_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.chdir(str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    assert "DATABASE_URL: Field required" in caught.value.message
    assert "KAFKA_BOOTSTRAP_SERVERS: Field required" in caught.value.message


def test_sync_driver_url_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:app@localhost/orders")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
    with pytest.raises(ConfigurationError, match="asyncpg"):
        load_settings()


def test_env_values_are_loaded_and_secret_is_masked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", VALID_URL)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "broker:9092")
    monkeypatch.setenv("KAFKA_ENABLE_IDEMPOTENCE", "false")
    settings = load_settings()
    assert settings.kafka_bootstrap_servers == "broker:9092"
    assert settings.kafka_enable_idempotence is False
    assert settings.database_url.get_secret_value() == VALID_URL
    assert "app:app" not in repr(settings)
    assert settings.orders_topic == "orders.v1"


def test_get_settings_is_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", VALID_URL)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "broker:9092")
    get_settings.cache_clear()
    try:
        assert get_settings() is get_settings()
    finally:
        get_settings.cache_clear()


def test_settings_class_reads_dotenv(tmp_path: object) -> None:
    assert Settings.model_config.get("env_file") == ".env"
    assert config.Settings is Settings
