"""Hash manifests of cached environments: every change after the build is found.

The fast tests build small trees in ``tmp_path``; the slow one tampers with a real cached
environment and scores its project again, which must discard and rebuild it and say so.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from evals.facts.env_manifest import (
    MANIFEST_FILE,
    changes,
    read_manifest,
    snapshot,
    verify_manifest,
    write_manifest,
)
from evals.facts.environment import dependency_fingerprint, envs_root, site_packages_of
from evals.model import Status
from evals.runner import score_project

HOSTILE = Path(__file__).resolve().parents[1] / "fixtures" / "projects" / "hostile"
PTH = "lib/python3.11/site-packages/evals_planted.pth"


def small_env(root: Path) -> Path:
    """A tree shaped like a venv: a package, a script, a link; its manifest written."""
    site = root / "lib" / "python3.11" / "site-packages"
    (site / "pkg").mkdir(parents=True)
    (site / "pkg" / "__init__.py").write_text("VALUE = 1\n", encoding="utf-8")
    (root / "bin").mkdir()
    (root / "bin" / "tool").write_text("#!/bin/sh\n", encoding="utf-8")
    (root / "bin" / "python").symlink_to("/usr/bin/python3")
    write_manifest(root)
    return root


def test_an_untouched_environment_verifies(tmp_path: Path) -> None:
    root = small_env(tmp_path / "env")
    check = verify_manifest(root)
    assert check.ok, check.problem
    assert check.entries == len(snapshot(root)) == 8  # 5 dirs, 2 files, 1 link
    assert MANIFEST_FILE not in snapshot(root)


def test_a_planted_pth_is_found(tmp_path: Path) -> None:
    root = small_env(tmp_path / "env")
    (root / PTH).write_text("import os\n", encoding="utf-8")
    check = verify_manifest(root)
    assert not check.ok
    assert check.problem == f"1 added ({PTH})"


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (lambda r: (r / "bin" / "tool").write_text("#!/bin/sh\nevil\n"), "1 changed (bin/tool)"),
        (lambda r: (r / "bin" / "tool").chmod(0o777), "1 changed (bin/tool)"),
        (lambda r: (r / "bin" / "tool").unlink(), "1 removed (bin/tool)"),
        (lambda r: _relink(r / "bin" / "python", "/opt/evil"), "1 changed (bin/python)"),
    ],
    ids=["content", "mode", "removed", "link"],
)
def test_every_kind_of_change_is_found(tmp_path: Path, tamper: object, expected: str) -> None:
    root = small_env(tmp_path / "env")
    assert callable(tamper)
    tamper(root)
    assert verify_manifest(root).problem == expected


def _relink(link: Path, target: str) -> None:
    """Point ``link`` at ``target``."""
    link.unlink()
    link.symlink_to(target)


def test_nested_names_are_hashed_only_the_top_level_mypy_cache_is_not(tmp_path: Path) -> None:
    root = small_env(tmp_path / "env")
    (root / ".evals-mypy-cache" / "3.11").mkdir(parents=True)
    (root / ".evals-mypy-cache" / "3.11" / "x.json").write_text("{}", encoding="utf-8")
    assert verify_manifest(root).ok
    (root / "bin" / ".evals-mypy-cache").write_text("import os\n", encoding="utf-8")
    assert verify_manifest(root).problem == "1 added (bin/.evals-mypy-cache)"


def test_a_fifo_is_recorded_not_opened(tmp_path: Path) -> None:
    root = small_env(tmp_path / "env")
    os.mkfifo(root / "bin" / "pipe")
    check = verify_manifest(root)  # would block forever if the FIFO were read
    assert check.problem == "1 added (bin/pipe)"


def test_a_missing_or_foreign_manifest_does_not_verify(tmp_path: Path) -> None:
    root = small_env(tmp_path / "env")
    (root / MANIFEST_FILE).write_text('{"version": 0, "entries": {}}', encoding="utf-8")
    assert read_manifest(root) is None
    assert verify_manifest(root).problem == "no valid manifest"
    (root / MANIFEST_FILE).unlink()
    assert verify_manifest(root).problem == "no valid manifest"


def test_changes_name_a_few_examples() -> None:
    recorded = {f"f{i}": "file:644:x" for i in range(5)}
    assert changes(recorded, recorded) == ""
    assert changes(recorded, {}) == "5 removed (f0, f1, f2)"


@pytest.mark.slow
async def test_a_tampered_cache_is_discarded_and_rebuilt(eval_cache_dir: Path) -> None:
    project = HOSTILE / "pth_writer"
    first = await score_project(project, select=["build.install"], cache_dir=eval_cache_dir)
    assert first.by_id("build.install").status is Status.PASS
    final = envs_root(eval_cache_dir) / dependency_fingerprint(project)[:24]
    site = site_packages_of(final)
    assert site is not None and verify_manifest(final).ok
    (site / "evals_planted.pth").write_text("import os\n", encoding="utf-8")  # from outside
    again = await score_project(project, select=["build.install"], cache_dir=eval_cache_dir)
    reason = again.by_id("build.install").outcome.reason
    assert "did not match its hash manifest (1 added (" in reason, reason
    assert "evals_planted.pth" in reason and "discarded and rebuilt" in reason
    assert not (site / "evals_planted.pth").exists()
    assert verify_manifest(final).ok
