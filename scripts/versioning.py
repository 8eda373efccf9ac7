"""Where the command's version appears, and reading every copy of it.

The command definition's frontmatter holds the single source of truth; the rendered command,
the plugin manifest, the marketplace entry (and its metadata) and ``pyproject.toml`` carry
copies that ``python -m scripts.bump_version`` keeps in step and the tests compare.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from scripts.definition import (
    PLUGIN_ROOT_RELPATH,
    RENDERED_RELPATH,
    SOURCE_RELPATH,
    split_frontmatter,
)

PLUGIN_RELPATH = PLUGIN_ROOT_RELPATH / ".claude-plugin" / "plugin.json"
MARKETPLACE_RELPATH = Path(".claude-plugin") / "marketplace.json"
PYPROJECT_RELPATH = Path("pyproject.toml")
CHANGELOG_RELPATH = Path("CHANGELOG.md")


class VersionError(Exception):
    """A version could not be read, is malformed, or copies disagree."""


def read_json(path: Path) -> dict[str, Any]:
    """Return the JSON object stored at ``path``.

    Raises:
        VersionError: If the file is unreadable or does not hold a JSON object.
    """
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise VersionError(f"cannot read {path}: {exc}") from None
    if not isinstance(document, dict):
        raise VersionError(f"{path}: expected a JSON object")
    return document


def _frontmatter_version(path: Path) -> str:
    try:
        meta, _ = split_frontmatter(path.read_text(encoding="utf-8"), path)
    except OSError as exc:
        raise VersionError(f"cannot read {path}: {exc}") from None
    return str(meta.get("version", ""))


def _pyproject_version(path: Path) -> str:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise VersionError(f"cannot read {path}: {exc}") from None
    return str(document.get("project", {}).get("version", ""))


def marketplace_entry(marketplace: dict[str, Any], plugin_name: str) -> dict[str, Any]:
    """Return the marketplace's entry for ``plugin_name``.

    Raises:
        VersionError: If the marketplace does not list the plugin.
    """
    for entry in marketplace.get("plugins", []):
        if isinstance(entry, dict) and entry.get("name") == plugin_name:
            return entry
    raise VersionError(f"marketplace.json has no plugin entry named {plugin_name!r}")


def collect_versions(root: Path) -> dict[str, str]:
    """Return every copy of the version under ``root``, keyed by where it was found.

    The marketplace's ``metadata.version`` is included only when present.

    Raises:
        VersionError: If a file is missing or unreadable.
    """
    plugin = read_json(root / PLUGIN_RELPATH)
    marketplace = read_json(root / MARKETPLACE_RELPATH)
    versions = {
        str(SOURCE_RELPATH): _frontmatter_version(root / SOURCE_RELPATH),
        str(RENDERED_RELPATH): _frontmatter_version(root / RENDERED_RELPATH),
        f"{PLUGIN_RELPATH} version": str(plugin.get("version", "")),
        f"{MARKETPLACE_RELPATH} plugins[{plugin.get('name')}].version": str(
            marketplace_entry(marketplace, str(plugin.get("name"))).get("version", "")
        ),
        f"{PYPROJECT_RELPATH} [project].version": _pyproject_version(root / PYPROJECT_RELPATH),
    }
    metadata = marketplace.get("metadata", {})
    if isinstance(metadata, dict) and "version" in metadata:
        versions[f"{MARKETPLACE_RELPATH} metadata.version"] = str(metadata["version"])
    return versions


def disagreements(versions: dict[str, str]) -> str:
    """Return a one-line description of disagreeing versions, or ``""`` when all agree."""
    if len(set(versions.values())) <= 1:
        return ""
    return "; ".join(f"{where}={version or '<missing>'}" for where, version in versions.items())
