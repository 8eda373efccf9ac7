"""The repository keeps its promises to a new user: README commands, CI entry point, Makefile."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _make_targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][a-z-]*):", makefile, flags=re.MULTILINE))


def test_readme_starts_with_eval_and_test_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = readme.split("```")[1]
    commands = [line.split("#")[0].strip() for line in first_block.splitlines()[1:]]
    assert commands[:2] == ["make eval", "make test"]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    steps = [
        line for line in script.splitlines() if line and not line.startswith(("#", "set ", "cd "))
    ]
    assert steps == ["make test"]


def test_makefile_has_every_documented_target() -> None:
    required = {
        "setup",
        "test",
        "lint",
        "format",
        "type-check",
        "render",
        "install",
        "clean",
        "eval",
    }
    assert required <= _make_targets()


def test_every_venv_target_depends_on_setup() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("eval", "test", "lint", "format", "type-check", "render", "install", "bump"):
        line = re.search(rf"^{target}:([^#\n]*)", makefile, flags=re.MULTILINE)
        assert line is not None, target
        assert "setup" in line.group(1).split(), f"{target} does not depend on setup"
