"""The harness works installed as a package, the way the command's self-check runs it.

The self-check runs ``pipx run --spec git+<repository> fastapi-command-eval``: a wheel built
from this repository, installed outside it. This builds the wheel, installs it into a fresh
virtual environment and scores the reference from an unrelated directory.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scripts import definition
from scripts.definition import REPO_ROOT

POETRY = Path(sys.executable).with_name("poetry")


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=600, check=False)


@pytest.mark.slow
def test_the_installed_entry_point_scores_a_project(tmp_path: Path) -> None:
    if not POETRY.exists():
        pytest.skip(f"poetry is not installed next to {sys.executable}")
    built = _run([str(POETRY), "build", "-f", "wheel", "-o", str(tmp_path / "dist")], REPO_ROOT)
    assert built.returncode == 0, built.stderr
    venv = tmp_path / "venv"
    assert _run([sys.executable, "-m", "venv", str(venv)], tmp_path).returncode == 0
    wheel = next((tmp_path / "dist").glob("*.whl"))
    installed = _run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], tmp_path)
    assert installed.returncode == 0, installed.stderr[-2000:]
    argv = [str(venv / "bin" / "fastapi-command-eval"), "score", str(REPO_ROOT / "reference_impl")]
    argv += ["--tier", "static", "--case", "order-service", "--no-progress", "--format", "json"]
    scored = _run(argv, tmp_path)
    assert scored.returncode == 0, scored.stderr[-2000:]
    result = json.loads(scored.stdout)
    assert result["command_version"] == definition.command_version()
    assert result["case"] == "order-service"
    assert result["passed"] is True
