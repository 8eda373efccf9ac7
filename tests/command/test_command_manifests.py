"""The Claude Code plugin and marketplace manifests against the stored SchemaStore schemas."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from scripts.definition import PLUGIN_ROOT_RELPATH, RENDERED_RELPATH, REPO_ROOT
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


def test_plugin_root_is_the_claude_folder_and_loads_its_commands_folder() -> None:
    plugin = load(REPO_ROOT / PLUGIN_RELPATH)
    assert PLUGIN_RELPATH.parts[:2] == (PLUGIN_ROOT_RELPATH.as_posix(), ".claude-plugin")
    # Claude Code 2.1 loads nothing from a `commands` entry naming a file: the default
    # commands/ folder of the plugin root holds the rendered command instead.
    assert "commands" not in plugin
    target = REPO_ROOT / RENDERED_RELPATH
    assert target.parent == REPO_ROOT / PLUGIN_ROOT_RELPATH / "commands"
    assert "$TECH_DESIGN" not in target.read_text(encoding="utf-8")


def test_plugin_root_tracks_only_the_manifest_and_the_rendered_command() -> None:
    listed = subprocess.run(
        ["git", "ls-files", "--", PLUGIN_ROOT_RELPATH.as_posix()],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert sorted(listed) == sorted([PLUGIN_RELPATH.as_posix(), RENDERED_RELPATH.as_posix()])


def test_marketplace_lists_the_claude_folder_as_the_plugin() -> None:
    plugin = load(REPO_ROOT / PLUGIN_RELPATH)
    entry = marketplace_entry(load(REPO_ROOT / MARKETPLACE_RELPATH), plugin["name"])
    assert entry["source"] == f"./{PLUGIN_ROOT_RELPATH.as_posix()}"
    assert (REPO_ROOT / entry["source"] / ".claude-plugin" / "plugin.json").is_file()
    assert not (REPO_ROOT / ".claude-plugin" / "plugin.json").exists()
    assert entry["description"] == plugin["description"]
