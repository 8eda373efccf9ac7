"""The Claude Code plugin and marketplace manifests against the stored SchemaStore schemas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from scripts.definition import RENDERED_RELPATH, REPO_ROOT
from scripts.versioning import MARKETPLACE_RELPATH, PLUGIN_RELPATH, marketplace_entry

SCHEMAS = REPO_ROOT / "scripts" / "schemas"
CASES = [
    (PLUGIN_RELPATH, "claude-code-plugin-manifest.json"),
    (MARKETPLACE_RELPATH, "claude-code-marketplace.json"),
]


def load(path: Path) -> dict[str, Any]:
    document = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def validator(schema_name: str) -> jsonschema.Draft7Validator:
    schema = load(SCHEMAS / schema_name)
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


@pytest.mark.parametrize(("manifest", "schema_name"), CASES)
def test_manifest_validates_against_the_stored_schema(manifest: Path, schema_name: str) -> None:
    errors = [
        error.message for error in validator(schema_name).iter_errors(load(REPO_ROOT / manifest))
    ]
    assert errors == []


@pytest.mark.parametrize("schema_name", [name for _, name in CASES])
def test_stored_schemas_are_the_schemastore_ones(schema_name: str) -> None:
    schema = load(SCHEMAS / schema_name)
    assert schema["$id"] == f"https://www.schemastore.org/{schema_name}"
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"


def test_schema_rejects_a_wrongly_typed_manifest() -> None:
    broken = load(REPO_ROOT / PLUGIN_RELPATH) | {"commands": 42}
    assert list(validator("claude-code-plugin-manifest.json").iter_errors(broken)) != []


def test_plugin_commands_point_at_the_flat_rendered_command() -> None:
    plugin = load(REPO_ROOT / PLUGIN_RELPATH)
    commands = plugin["commands"]
    assert commands == [f"./{RENDERED_RELPATH.as_posix()}"]
    target = REPO_ROOT / commands[0]
    assert target.is_file()
    assert target.parent == REPO_ROOT / ".claude" / "commands"
    assert "$TECH_DESIGN" not in target.read_text(encoding="utf-8")


def test_marketplace_lists_this_repository_as_the_plugin() -> None:
    plugin = load(REPO_ROOT / PLUGIN_RELPATH)
    entry = marketplace_entry(load(REPO_ROOT / MARKETPLACE_RELPATH), plugin["name"])
    assert entry["source"] == "./"
    assert (REPO_ROOT / entry["source"] / PLUGIN_RELPATH).is_file()
    assert entry["description"] == plugin["description"]
