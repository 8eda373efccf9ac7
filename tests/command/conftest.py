"""Fixtures for the command tests: a copy of the repository's command files, CLI runners."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from scripts.definition import CHECKLIST_RELPATH, RENDERED_RELPATH, REPO_ROOT, SOURCE_RELPATH
from scripts.versioning import (
    CHANGELOG_RELPATH,
    MARKETPLACE_RELPATH,
    PLUGIN_RELPATH,
    PYPROJECT_RELPATH,
)

COMMAND_FILES = (
    SOURCE_RELPATH,
    RENDERED_RELPATH,
    CHECKLIST_RELPATH,
    PLUGIN_RELPATH,
    MARKETPLACE_RELPATH,
    PYPROJECT_RELPATH,
    CHANGELOG_RELPATH,
)


def run_module(
    module: str,
    *args: str,
    env: Mapping[str, str] | None = None,
    cwd: Path = REPO_ROOT,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m module args`` from the repository root in a real subprocess."""
    argv: Sequence[str] = (sys.executable, "-m", module, *args)
    return subprocess.run(
        argv,
        cwd=cwd,
        env=dict(env) if env is not None else None,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """Copy every file that carries the command or its version into a temporary root."""
    root = tmp_path / "repo"
    for relative in COMMAND_FILES:
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / relative, root / relative)
    return root


@pytest.fixture
def home_env(tmp_path: Path) -> dict[str, str]:
    """An environment whose HOME is a fresh temporary directory (no CLAUDE_CONFIG_DIR)."""
    home = tmp_path / "home"
    home.mkdir()
    env = {key: value for key, value in os.environ.items() if key != "CLAUDE_CONFIG_DIR"}
    env["HOME"] = str(home)
    return env
