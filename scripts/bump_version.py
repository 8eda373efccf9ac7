"""Bump the command's version everywhere it appears, re-render, and open a CHANGELOG entry.

Usage::

    python -m scripts.bump_version 1.2.0      # an explicit semantic version
    python -m scripts.bump_version minor      # or major / minor / patch

Updates the ``version`` in the command definition's frontmatter (the source of truth), the
plugin manifest, the marketplace's plugin entry and ``metadata.version``, and
``pyproject.toml``'s ``[project] version``; re-renders the Claude Code command; and adds a
``## [X.Y.Z] - DATE`` heading to CHANGELOG.md under ``## [Unreleased]``. Every file is
computed before any is written, and nothing is written when a check fails.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evals.checklist import ChecklistError
from scripts.definition import (
    CHECKLIST_RELPATH,
    RENDERED_RELPATH,
    REPO_ROOT,
    SEMVER_RE,
    SOURCE_RELPATH,
    DefinitionError,
)
from scripts.render import RenderError, render_claude_command, write_render
from scripts.versioning import (
    CHANGELOG_RELPATH,
    MARKETPLACE_RELPATH,
    PLUGIN_RELPATH,
    PYPROJECT_RELPATH,
    VersionError,
    collect_versions,
    disagreements,
    marketplace_entry,
    read_json,
)

BUMP_KEYWORDS = ("major", "minor", "patch")
PrecedenceKey = tuple[int, int, int, tuple[Any, ...]]


def precedence(version: str) -> PrecedenceKey:
    """Return a key ordering versions by semver precedence (build metadata ignored).

    Raises:
        VersionError: If ``version`` is not a semantic version.
    """
    match = SEMVER_RE.match(version)
    if match is None:
        raise VersionError(f"{version!r} is not a semantic version (X.Y.Z)")
    pre = match["pre"]
    if pre is None:
        return int(match[1]), int(match[2]), int(match[3]), (1,)
    ids = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return int(match[1]), int(match[2]), int(match[3]), (0, ids)


def next_version(current: str, spec: str) -> str:
    """Return the version after ``current`` for ``spec`` (major, minor, patch or X.Y.Z).

    Raises:
        VersionError: If ``spec`` is not a keyword or a semantic version greater than current.
    """
    major, minor, patch, _ = precedence(current)
    bumped = {
        "major": f"{major + 1}.0.0",
        "minor": f"{major}.{minor + 1}.0",
        "patch": f"{major}.{minor}.{patch + 1}",
    }
    new = bumped.get(spec, spec)
    if precedence(new) <= precedence(current):
        raise VersionError(f"new version {new} must be greater than the current {current}")
    return new


def set_frontmatter_version(text: str, new: str, origin: Path) -> str:
    """Return ``text`` with the ``version:`` line of its YAML frontmatter set to ``new``.

    Raises:
        VersionError: If the frontmatter or its version line is missing.
    """
    end = text.find("\n---\n", 4) if text.startswith("---\n") else -1
    if end < 0:
        raise VersionError(f"{origin}: no YAML frontmatter")
    meta, count = re.subn(r"^version:.*$", f"version: {new}", text[:end], count=1, flags=re.M)
    if count == 0:
        raise VersionError(f"{origin}: frontmatter has no version line")
    return meta + text[end:]


def set_pyproject_version(text: str, new: str) -> str:
    """Return pyproject.toml ``text`` with ``[project] version`` set to ``new``, format kept.

    Raises:
        VersionError: If there is no ``[project]`` table with a ``version`` key.
    """
    table = re.search(r"^\[project\][ \t]*\n(?P<body>(?:(?!\[)[^\n]*\n)*)", text, re.M)
    if table is None:
        raise VersionError("pyproject.toml has no [project] table")
    body, count = re.subn(
        r'^(version[ \t]*=[ \t]*)"[^"]*"', rf'\g<1>"{new}"', table["body"], count=1, flags=re.M
    )
    if count == 0:
        raise VersionError("pyproject.toml [project] table has no version")
    return text[: table.start("body")] + body + text[table.end("body") :]


def dump_json(document: dict[str, Any]) -> str:
    """Serialise a manifest the way the repository stores it (2-space indent, final newline)."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def set_manifest_versions(root: Path, new: str) -> dict[Path, str]:
    """Return the new plugin.json and marketplace.json texts with their versions set to ``new``.

    Raises:
        VersionError: If a manifest is unreadable or the marketplace lacks the plugin.
    """
    plugin = read_json(root / PLUGIN_RELPATH)
    marketplace = read_json(root / MARKETPLACE_RELPATH)
    plugin["version"] = new
    marketplace_entry(marketplace, str(plugin.get("name")))["version"] = new
    if isinstance(marketplace.get("metadata"), dict) and "version" in marketplace["metadata"]:
        marketplace["metadata"]["version"] = new
    return {
        root / PLUGIN_RELPATH: dump_json(plugin),
        root / MARKETPLACE_RELPATH: dump_json(marketplace),
    }


def add_changelog_heading(text: str, new: str, date: str) -> str:
    """Return CHANGELOG ``text`` with a ``## [new] - date`` heading under ``## [Unreleased]``.

    Entries already under Unreleased end up under the new version; an empty Unreleased
    section stays on top. Without an Unreleased heading the new one goes before the first
    release heading.

    Raises:
        VersionError: If the changelog already has a heading for ``new``.
    """
    if re.search(rf"^## \[{re.escape(new)}\]", text, re.M):
        raise VersionError(f"CHANGELOG.md already has a heading for {new}")
    heading = f"## [{new}] - {date}\n"
    unreleased = re.search(r"^## \[Unreleased\].*\n", text, re.M | re.I)
    if unreleased:
        return text[: unreleased.end()] + "\n" + heading + text[unreleased.end() :]
    first = re.search(r"^## \[", text, re.M)
    if first:
        return text[: first.start()] + heading + "\n" + text[first.start() :]
    return text.rstrip("\n") + "\n\n" + heading


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise VersionError(f"cannot read {path}: {exc}") from None


def plan_bump(root: Path, spec: str, date: str) -> tuple[str, str, dict[Path, str]]:
    """Compute the bump without writing: current version, new version, new file contents.

    Raises:
        VersionError: If the copies disagree, ``spec`` is invalid, or a file cannot be updated.
    """
    versions = collect_versions(root)
    problem = disagreements(versions)
    if problem:
        raise VersionError(f"versions disagree, fix them before bumping: {problem}")
    current = versions[str(SOURCE_RELPATH)]
    new = next_version(current, spec)
    source = root / SOURCE_RELPATH
    files = {
        source: set_frontmatter_version(_read(source), new, source),
        root / PYPROJECT_RELPATH: set_pyproject_version(_read(root / PYPROJECT_RELPATH), new),
        root / CHANGELOG_RELPATH: add_changelog_heading(_read(root / CHANGELOG_RELPATH), new, date),
    }
    files.update(set_manifest_versions(root, new))
    return current, new, files


def bump(root: Path, spec: str, date: str) -> tuple[str, str]:
    """Bump the version under ``root``, write every file and re-render the command.

    Returns:
        The previous and the new version.

    Raises:
        VersionError: If the bump is refused (nothing is written then).
        RenderError: If the definition cannot be rendered (checked before writing).
    """
    current, new, files = plan_bump(root, spec, date)
    render_claude_command(root / SOURCE_RELPATH, root / CHECKLIST_RELPATH)
    for path, content in files.items():
        path.write_text(content, encoding="utf-8")
    rendered = render_claude_command(root / SOURCE_RELPATH, root / CHECKLIST_RELPATH)
    write_render(root / RENDERED_RELPATH, rendered)
    return current, new


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m scripts.bump_version", description=__doc__)
    parser.add_argument("version", help="X.Y.Z, or major / minor / patch")
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help="repository root")
    parser.add_argument("--date", default=dt.datetime.now(dt.UTC).date().isoformat())
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; a refused bump is one line on stderr and exit status 2."""
    args = _parser().parse_args(argv)
    try:
        current, new = bump(args.root, args.version, args.date)
    except (VersionError, RenderError, DefinitionError, ChecklistError) as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    print(f"bumped {current} -> {new}: command, render, plugin.json, marketplace.json,")
    print(f"pyproject.toml; now describe the changes under '## [{new}]' in CHANGELOG.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
