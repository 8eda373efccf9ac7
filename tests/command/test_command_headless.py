"""The headless prompt: `python -m scripts.render --tech-design PATH` in a real subprocess."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.command.conftest import run_module

DESIGN = """# Order service

Orders are created over REST and published as `orders.v1` events. Unique marker: ZX-4711.
Budget: $5 per month; see $TECH_DESIGN_NOTES.
"""


def test_prompt_contains_the_design_and_no_placeholder(tmp_path: Path) -> None:
    design = tmp_path / "tech-design.md"
    design.write_text(DESIGN, encoding="utf-8")
    result = run_module("scripts.render", "--tech-design", str(design))
    assert result.returncode == 0, result.stderr
    prompt = result.stdout
    assert DESIGN.strip() in prompt
    assert f"<tech_design>\n{DESIGN.strip()}\n</tech_design>" in prompt
    assert "$TECH_DESIGN\n" not in prompt
    assert "$ARGUMENTS" not in prompt
    assert prompt.startswith("# Build an event-driven FastAPI microservice")


def test_prompt_keeps_shell_variables(tmp_path: Path) -> None:
    design = tmp_path / "design.txt"
    design.write_text("A small design.\n", encoding="utf-8")
    result = run_module("scripts.render", "--tech-design", str(design))
    assert result.returncode == 0, result.stderr
    assert "alembic upgrade head against $DATABASE_URL" in result.stdout


def assert_one_line_error(tmp_path: Path, design: Path, expected: str) -> None:
    result = run_module("scripts.render", "--tech-design", str(design))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert expected in lines[0]
    assert "Traceback" not in result.stderr


def test_missing_design_is_a_one_line_error(tmp_path: Path) -> None:
    assert_one_line_error(tmp_path, tmp_path / "absent.md", "tech design file not found")


@pytest.mark.parametrize("content", ["", "  \n\n\t\n"])
def test_empty_design_is_a_one_line_error(tmp_path: Path, content: str) -> None:
    design = tmp_path / "empty.md"
    design.write_text(content, encoding="utf-8")
    assert_one_line_error(tmp_path, design, "tech design file is empty")


def test_directory_as_design_is_a_one_line_error(tmp_path: Path) -> None:
    assert_one_line_error(tmp_path, tmp_path, "tech design file is not a file")


def test_non_utf8_design_is_a_one_line_error(tmp_path: Path) -> None:
    design = tmp_path / "latin1.md"
    design.write_bytes(b"caf\xe9 design\n")
    assert_one_line_error(tmp_path, design, "cannot read tech design")
