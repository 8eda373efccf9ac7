"""Bumping the version everywhere, on a temporary copy of the repository's files."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.bump_version import (
    add_changelog_heading,
    next_version,
    set_pyproject_version,
)
from scripts.definition import RENDERED_RELPATH, REPO_ROOT, command_version
from scripts.versioning import (
    CHANGELOG_RELPATH,
    PLUGIN_RELPATH,
    PYPROJECT_RELPATH,
    VersionError,
    collect_versions,
)
from tests.command.conftest import COMMAND_FILES, run_module


def snapshot(root: Path) -> dict[Path, str]:
    return {relative: (root / relative).read_text(encoding="utf-8") for relative in COMMAND_FILES}


def test_bump_updates_every_copy_and_re_renders(repo_copy: Path) -> None:
    before = snapshot(repo_copy)
    new = next_version(command_version(), "minor")
    result = run_module(
        "scripts.bump_version", "minor", "--root", str(repo_copy), "--date", "2030-01-02"
    )
    assert result.returncode == 0, result.stderr
    assert set(collect_versions(repo_copy).values()) == {new}
    rendered = (repo_copy / RENDERED_RELPATH).read_text(encoding="utf-8")
    assert f"\nversion: {new}\n" in rendered
    assert f"version {new}._" in rendered
    changelog = (repo_copy / CHANGELOG_RELPATH).read_text(encoding="utf-8")
    assert f"## [Unreleased]\n\n## [{new}] - 2030-01-02\n" in changelog
    assert snapshot(REPO_ROOT) == before


def test_bump_changes_only_the_version_line_of_pyproject(repo_copy: Path) -> None:
    before = (repo_copy / PYPROJECT_RELPATH).read_text(encoding="utf-8").splitlines()
    result = run_module("scripts.bump_version", "patch", "--root", str(repo_copy))
    assert result.returncode == 0, result.stderr
    after = (repo_copy / PYPROJECT_RELPATH).read_text(encoding="utf-8").splitlines()
    changed = [(old, new) for old, new in zip(before, after, strict=True) if old != new]
    assert changed == [
        (
            f'version = "{command_version()}"',
            f'version = "{next_version(command_version(), "patch")}"',
        )
    ]


@pytest.mark.parametrize("spec", ["0.0.1", "1.2", "banana"])
def test_refused_bump_writes_nothing(repo_copy: Path, spec: str) -> None:
    before = snapshot(repo_copy)
    result = run_module("scripts.bump_version", spec, "--root", str(repo_copy))
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("error: ")
    assert snapshot(repo_copy) == before


def test_disagreeing_copies_refuse_the_bump(repo_copy: Path) -> None:
    plugin = repo_copy / PLUGIN_RELPATH
    plugin.write_text(
        plugin.read_text(encoding="utf-8").replace(command_version(), "0.1.0"), encoding="utf-8"
    )
    result = run_module("scripts.bump_version", "major", "--root", str(repo_copy))
    assert result.returncode == 2
    assert "versions disagree" in result.stderr


@pytest.mark.parametrize(
    ("current", "spec", "expected"),
    [
        ("1.2.3", "patch", "1.2.4"),
        ("1.2.3", "minor", "1.3.0"),
        ("1.2.3", "major", "2.0.0"),
        ("1.2.3", "1.10.0", "1.10.0"),
        ("1.1.0-rc.1", "1.1.0", "1.1.0"),
        ("1.1.0-rc.1", "1.1.0-rc.2", "1.1.0-rc.2"),
        ("1.1.0-rc.9", "1.1.0-rc.10", "1.1.0-rc.10"),
    ],
)
def test_next_version(current: str, spec: str, expected: str) -> None:
    assert next_version(current, spec) == expected


@pytest.mark.parametrize(
    ("current", "spec"), [("1.0.0", "1.0.0"), ("1.1.0", "1.1.0-rc.1"), ("2.0.0", "1.9.9")]
)
def test_next_version_must_increase(current: str, spec: str) -> None:
    with pytest.raises(VersionError, match="must be greater"):
        next_version(current, spec)


def test_pyproject_edit_touches_only_the_project_table() -> None:
    text = (
        '[tool.other]\nversion = "0.1"\n\n'
        '[project]\nname = "x"\nversion = "1.0.0"\n\n'
        '[tool.x]\nversion = "2"\n'
    )
    assert set_pyproject_version(text, "1.1.0") == text.replace('"1.0.0"', '"1.1.0"')


def test_changelog_heading_without_unreleased_goes_before_the_first_release() -> None:
    text = "# Changelog\n\n## [1.0.0] - 2026-01-01\n"
    assert add_changelog_heading(text, "1.1.0", "2026-02-02") == (
        "# Changelog\n\n## [1.1.0] - 2026-02-02\n\n## [1.0.0] - 2026-01-01\n"
    )


def test_changelog_heading_cannot_be_added_twice() -> None:
    with pytest.raises(VersionError, match="already has a heading"):
        add_changelog_heading("## [1.1.0] - 2026-02-02\n", "1.1.0", "2026-03-03")
