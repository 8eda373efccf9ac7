"""Every copy of the version agrees with the command definition's frontmatter."""

from __future__ import annotations

import json
import re
from pathlib import Path

from scripts.definition import REPO_ROOT, SEMVER_RE, command_version
from scripts.versioning import (
    CHANGELOG_RELPATH,
    PLUGIN_RELPATH,
    collect_versions,
    disagreements,
)


def test_versions_agree_everywhere() -> None:
    versions = collect_versions(REPO_ROOT)
    assert disagreements(versions) == ""
    assert set(versions.values()) == {command_version()}
    assert len(versions) == 6


def test_version_is_semantic() -> None:
    assert SEMVER_RE.match(command_version())


def test_changelog_has_a_heading_for_the_current_version() -> None:
    changelog = (REPO_ROOT / CHANGELOG_RELPATH).read_text(encoding="utf-8")
    version = re.escape(command_version())
    assert re.search(rf"^## \[{version}\] - \d{{4}}-\d{{2}}-\d{{2}}$", changelog, re.M)
    assert changelog.index("## [Unreleased]") < changelog.index(f"## [{command_version()}]")


def test_a_disagreeing_copy_is_reported(repo_copy: Path) -> None:
    plugin_path = repo_copy / PLUGIN_RELPATH
    plugin = json.loads(plugin_path.read_text(encoding="utf-8"))
    plugin["version"] = "9.9.9"
    plugin_path.write_text(json.dumps(plugin), encoding="utf-8")
    problem = disagreements(collect_versions(repo_copy))
    assert ".claude/.claude-plugin/plugin.json version=9.9.9" in problem
