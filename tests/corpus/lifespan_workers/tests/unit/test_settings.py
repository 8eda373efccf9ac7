"""Environment mapping of the settings."""

import pytest

from app.core.config import Settings, settings_from_env


def test_database_url_alias(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u:secret@db/inv")
    settings = Settings(_env_file=None)
    assert settings.postgres_dsn.get_secret_value().endswith("@db/inv")
    assert "secret" not in repr(settings)


def test_db_url_alias(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("DB_URL", "postgresql+asyncpg://other/inv")
    assert Settings(_env_file=None).postgres_dsn.get_secret_value().endswith("other/inv")


@pytest.mark.parametrize("name", ["KAFKA_BOOTSTRAP_SERVERS", "kafka_bootstrap_servers"])
def test_bootstrap_servers_case_insensitive(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.setenv(name, "k1:9092")
    assert Settings(_env_file=None).kafka_bootstrap_servers == "k1:9092"


def test_cached() -> None:
    assert settings_from_env() is settings_from_env()
