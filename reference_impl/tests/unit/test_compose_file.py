"""docker-compose.yml validates against the (vendored) Compose Specification."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]
LONG_RUNNING = ("postgres", "kafka", "api", "relay", "consumer")


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def test_compose_file_matches_compose_spec() -> None:
    schema = json.loads((ROOT / "tests/schemas/compose-spec.json").read_text())
    # The vendored schema declares draft 2019-09 (with a non-canonical URI).
    errors = [
        e.message
        for e in jsonschema.Draft201909Validator(schema).iter_errors(_compose())
    ]
    assert errors == []


def test_long_running_services_have_healthchecks_and_healthy_dependencies() -> None:
    services = _compose()["services"]
    assert set(LONG_RUNNING) <= set(services)
    for name in LONG_RUNNING:
        assert "test" in services[name]["healthcheck"], name
    for name in ("api", "relay", "consumer"):
        conditions = services[name]["depends_on"]
        assert conditions["postgres"]["condition"] == "service_healthy"
        assert conditions["kafka"]["condition"] == "service_healthy"
    assert services["kafka"]["image"].startswith("apache/kafka")


def test_dockerfile_is_multi_stage_non_root_with_healthcheck() -> None:
    dockerfile = (ROOT / "docker/Dockerfile").read_text().splitlines()
    assert sum(line.startswith("FROM ") for line in dockerfile) > 1
    assert any(line.startswith("USER app") for line in dockerfile)
    assert any(line.startswith("HEALTHCHECK") for line in dockerfile)


def test_schema_rejects_an_invalid_condition() -> None:
    schema = json.loads((ROOT / "tests/schemas/compose-spec.json").read_text())
    broken = {
        "services": {"a": {"image": "x", "depends_on": {"b": {"condition": "up"}}}}
    }
    assert list(jsonschema.Draft201909Validator(schema).iter_errors(broken))
