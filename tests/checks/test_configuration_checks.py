"""Unit tests of config.settings and config.secrets on tiny projects written into tmp_path.

Each case is named after the verdict it must produce (``..._passes`` / ``..._fails``).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from evals.checks.code_secrets import (
    config_text_secrets,
    is_gitignored,
    is_placeholder,
    is_secret_name,
)
from evals.model import Status, Tier
from evals.testing import compute_check

SETTINGS_OK = """
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: SecretStr
    kafka_bootstrap_servers: str = Field(min_length=1)
    api_token: SecretStr | None = None
"""
SETTINGS_PREFIXED = """
import pydantic_settings
from pydantic import Field, SecretStr


class DatabaseSettings(pydantic_settings.BaseSettings):
    model_config = {"env_prefix": "DATABASE_", "env_file": ".env"}

    url: SecretStr


class KafkaSettings(pydantic_settings.BaseSettings):
    model_config = {"env_prefix": "APP_"}

    servers: str = Field(validation_alias="KAFKA_BOOTSTRAP_SERVERS")
"""
SETTINGS_INHERITED = """
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env")

    database_url: SecretStr


class Settings(ServiceSettings):
    kafka_bootstrap_servers: str
"""
KAFKA_SETTINGS = """
from pydantic_settings import BaseSettings, SettingsConfigDict


class KafkaSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KAFKA_")

    bootstrap_servers: str
"""
SETTINGS_ALIAS_CHOICES = """
from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_prefix="ORDERS_")

    dsn: SecretStr = Field(validation_alias=AliasChoices("ORDERS_DSN", "DATABASE_URL"))
    brokers: str = Field(alias="kafka_bootstrap_servers")
"""
SETTINGS_NESTED = """
from pydantic import BaseModel, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Kafka(BaseModel):
    bootstrap_servers: str


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_nested_delimiter="_", env_nested_max_split=1
    )

    database_url: SecretStr
    kafka: Kafka
"""
ENV_EXAMPLE = "DATABASE_URL=postgresql+asyncpg://app:changeme@localhost/orders\nSECRET=\n"
BASE = {"src/app/core/config.py": SETTINGS_OK, ".env.example": ENV_EXAMPLE}


def write_project(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (relative path -> dedented text) under ``root``; returns ``root``."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    (root / "pyproject.toml").touch()
    return root


async def outcome_of(item: str, tmp_path: Path, files: dict[str, str]) -> tuple[Status, str]:
    """Run ``item`` on a project of ``files``; returns its status and all finding messages."""
    outcome = await compute_check(item, write_project(tmp_path / "p", files), tier=Tier.STATIC)
    where = " | ".join(f"{f.path}:{f.line} {f.message}" for f in outcome.findings)
    return outcome.status, where


SETTINGS_CASES = {
    "settings_complete_passes": (BASE, Status.PASS, ""),
    "settings_env_prefix_and_alias_pass": (
        {**BASE, "src/app/core/config.py": SETTINGS_PREFIXED},
        Status.PASS,
        "",
    ),
    "settings_without_env_example_fails": (
        {"src/app/core/config.py": SETTINGS_OK},
        Status.FAIL,
        "no committed .env.example",
    ),
    "settings_without_env_file_fails": (
        {**BASE, "src/app/core/config.py": SETTINGS_OK.replace('env_file=".env", ', "")},
        Status.FAIL,
        "does not set env_file",
    ),
    "settings_without_kafka_field_fails": (
        {**BASE, "src/app/core/config.py": SETTINGS_OK.replace("kafka_bootstrap", "kafka")},
        Status.FAIL,
        "no settings field reads KAFKA_BOOTSTRAP_SERVERS",
    ),
    "settings_plain_class_fails": (
        {**BASE, "src/app/core/config.py": "import os\n\nURL = os.environ['DATABASE_URL']\n"},
        Status.FAIL,
        "no pydantic-settings BaseSettings subclass",
    ),
    "settings_module_elsewhere_in_the_package_passes": (
        {".env.example": ENV_EXAMPLE, "src/app/settings.py": SETTINGS_OK},
        Status.PASS,
        "",
    ),
    "settings_in_a_package_at_the_project_root_pass": (
        {".env.example": ENV_EXAMPLE, "app/config.py": SETTINGS_OK},
        Status.PASS,
        "",
    ),
    "settings_class_missing_fails": (
        {".env.example": ENV_EXAMPLE, "src/app/settings.py": "import os\n"},
        Status.FAIL,
        "src/app/core/config.py:None no pydantic-settings BaseSettings subclass",
    ),
    "settings_outside_the_package_fail": (
        {".env.example": ENV_EXAMPLE, "app/main.py": "", "scripts/config.py": SETTINGS_OK},
        Status.FAIL,
        "no pydantic-settings BaseSettings subclass",
    ),
    "settings_kafka_field_in_a_subclass_of_a_project_base_passes": (
        {**BASE, "src/app/core/config.py": SETTINGS_INHERITED},
        Status.PASS,
        "",
    ),
    "settings_kafka_class_in_another_module_passes": (
        {
            **BASE,
            "src/app/core/config.py": SETTINGS_OK.replace("kafka_bootstrap_servers", "kafka_x"),
            "src/app/kafka/config.py": KAFKA_SETTINGS,
        },
        Status.PASS,
        "",
    ),
    "settings_alias_choices_pass": (
        {**BASE, "src/app/core/config.py": SETTINGS_ALIAS_CHOICES},
        Status.PASS,
        "",
    ),
    "settings_nested_delimiter_pass": (
        {**BASE, "src/app/core/config.py": SETTINGS_NESTED},
        Status.PASS,
        "",
    ),
    "settings_lower_case_prefix_passes": (
        {
            **BASE,
            "src/app/core/config.py": SETTINGS_OK.replace("kafka_bootstrap_servers", "kafka_x"),
            "src/app/kafka/config.py": KAFKA_SETTINGS.replace("KAFKA_", "kafka_"),
        },
        Status.PASS,
        "",
    ),
    "settings_prefix_that_changes_the_name_fails": (
        {
            **BASE,
            "src/app/core/config.py": SETTINGS_OK.replace(
                'env_file=".env",', 'env_file=".env", env_prefix="APP_",'
            ),
        },
        Status.FAIL,
        "no settings field reads KAFKA_BOOTSTRAP_SERVERS",
    ),
    "settings_case_sensitive_lower_case_field_fails": (
        {
            **BASE,
            "src/app/core/config.py": SETTINGS_OK.replace(
                'env_file=".env",', 'env_file=".env", case_sensitive=True,'
            ),
        },
        Status.FAIL,
        "no settings field reads DATABASE_URL",
    ),
}

SECRETS_CASES = {
    "secrets_clean_project_passes": (
        {
            **BASE,
            ".gitignore": ".env\n*.pem\n!public.pem\n",
            ".env": "DATABASE_URL=postgresql+asyncpg://app:real-password@db/orders\n",
            "docker-compose.yml": "services:\n  db:\n    environment:\n"
            "      POSTGRES_PASSWORD: postgres\n",
            "alembic.ini": "[alembic]\nsqlalchemy.url = driver://user:pass@localhost/dbname\n",
            "tests/conftest.py": "PASSWORD = 'test-pw'\nURL = 'postgresql://u:pw@h/db'\n",
            "src/app/core/status.py": 'TOKEN_HEADER = "X-Token"\nPASS = "pass"\n'
            'token = None\npassword = ""\n',
        },
        Status.PASS,
        "",
    ),
    "secrets_committed_env_file_fails": (
        {**BASE, ".env": "X=1\n"},
        Status.FAIL,
        ".env:None secret file committed",
    ),
    "secrets_committed_private_key_fails": (
        {**BASE, ".gitignore": "*.pem\n!deploy/server.key\n", "deploy/server.key": "k\n"},
        Status.FAIL,
        "deploy/server.key",
    ),
    "secrets_password_literal_in_src_fails": (
        {**BASE, "src/app/core/db.py": 'def connect(user: str, password: str = "hunter2"): ...\n'},
        Status.FAIL,
        "src/app/core/db.py:1 hard-coded credential assigned to password",
    ),
    "secrets_api_key_keyword_in_src_fails": (
        {**BASE, "src/app/clients.py": 'client = Client(\n    apiKey="sk-live-123456"\n)\n'},
        Status.FAIL,
        "src/app/clients.py:2 hard-coded credential assigned to apiKey",
    ),
    "secrets_url_credentials_in_src_fail": (
        {**BASE, "src/app/db.py": 'DEFAULT = "postgresql+asyncpg://orders:s3cr3t@db:5432/x"\n'},
        Status.FAIL,
        "credentials in URL (orders:***@)",
    ),
    "secrets_private_key_block_in_src_fails": (
        {**BASE, "src/app/k.py": 'KEY = """-----BEGIN RSA PRIVATE KEY-----\nMIIE\n"""\n'},
        Status.FAIL,
        "private key block",
    ),
    "secrets_password_in_pyproject_fails": (
        {**BASE, "pyproject.toml": '[tool.app]\ndb_password = "hunter2"\n'},
        Status.FAIL,
        "pyproject.toml:2 hard-coded credential assigned to db_password",
    ),
    "secrets_aws_key_in_compose_fails": (
        {**BASE, "docker-compose.yml": "x:\n  AWS_ACCESS_KEY_ID: AKIAABCDEFGHIJKLMNOP\n"},
        Status.FAIL,
        "docker-compose.yml:2 AWS access key id",
    ),
    "secrets_password_literal_in_a_root_package_fails": (
        {
            ".env.example": ENV_EXAMPLE,
            "app/config.py": SETTINGS_OK,
            "app/db.py": 'def connect(password: str = "hunter2"): ...\n',
        },
        Status.FAIL,
        "app/db.py:1 hard-coded credential assigned to password",
    ),
    "secrets_without_secretstr_fails": (
        {**BASE, "src/app/core/config.py": SETTINGS_OK.replace("SecretStr", "str")},
        Status.FAIL,
        "no settings field is SecretStr",
    ),
}


@pytest.mark.parametrize("name", SETTINGS_CASES)
async def test_config_settings(name: str, tmp_path: Path) -> None:
    files, expected, evidence = SETTINGS_CASES[name]
    status, findings = await outcome_of("config.settings", tmp_path, files)
    assert status is expected, findings
    assert evidence in findings


@pytest.mark.parametrize("name", SECRETS_CASES)
async def test_config_secrets(name: str, tmp_path: Path) -> None:
    files, expected, evidence = SECRETS_CASES[name]
    status, findings = await outcome_of("config.secrets", tmp_path, files)
    assert status is expected, findings
    assert evidence in findings


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("db_password", True),
        ("SECRET_KEY", True),
        ("apiKey", True),
        ("settings.jwt_secret", True),
        ("token_type", False),
        ("password_min_length", False),
        ("PASS", False),
    ],
)
def test_secret_names(name: str, expected: bool) -> None:
    assert is_secret_name(name) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", True), ("${DB_PASSWORD}", True), ("changeme", True), ("<token>", True), ("8", True)],
)
def test_placeholders(value: str, expected: bool) -> None:
    assert is_placeholder(value) is expected


def test_real_values_are_not_placeholders() -> None:
    assert not is_placeholder("hunter2")
    assert not is_placeholder("sk-live-123456")


def test_gitignore_rules_follow_last_match_and_directories() -> None:
    rules = [(".env", False), ("secrets/", False), ("*.pem", False), ("public.pem", True)]
    assert is_gitignored("sub/.env", rules)
    assert is_gitignored("secrets/a/b.key", rules)
    assert not is_gitignored("keys/public.pem", rules)
    assert not is_gitignored("secrets", rules)


def test_dockerfile_env_password_is_found() -> None:
    findings = config_text_secrets("docker/Dockerfile", "FROM python\nENV DB_PASSWORD=hunter2\n")
    assert [(f.line, f.message) for f in findings] == [
        (2, "hard-coded credential assigned to DB_PASSWORD")
    ]
