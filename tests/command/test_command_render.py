"""Rendering the definition: staleness, checklist-driven content, placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from evals.checklist import load_checklist
from scripts.definition import (
    CHECKLIST_PATH,
    RENDERED_PATH,
    SOURCE_PATH,
    DefinitionError,
    load_definition,
    split_frontmatter,
)
from scripts.render import (
    RenderError,
    format_number,
    render_claude_command,
    render_template,
    substitute,
)
from tests.command.conftest import run_module

HEADER = """---
description: test command
argument-hint: "<design>"
allowed-tools: [Read]
version: 1.0.0
placeholders:
{placeholders}
---
"""


def write_definition(tmp_path: Path, body: str, placeholders: str = "  TECH_DESIGN: x") -> Path:
    path = tmp_path / "definition.md"
    path.write_text(HEADER.format(placeholders=placeholders) + body, encoding="utf-8")
    return path


def with_threshold(tmp_path: Path, item_id: str, threshold: float) -> Path:
    """Write a copy of the real checklist with one item's threshold changed."""
    document = yaml.safe_load(CHECKLIST_PATH.read_text(encoding="utf-8"))
    for entry in document["items"]:
        if entry["id"] == item_id:
            entry["threshold"] = threshold
    path = tmp_path / "checklist.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def test_committed_render_is_current() -> None:
    assert RENDERED_PATH.read_text(encoding="utf-8") == render_claude_command()


def test_check_cli_passes_on_the_committed_render() -> None:
    result = run_module("scripts.render", "--check")
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout


def test_check_cli_fails_on_a_stale_render(tmp_path: Path) -> None:
    stale = tmp_path / "command.md"
    stale.write_text(RENDERED_PATH.read_text(encoding="utf-8") + "edited\n", encoding="utf-8")
    result = run_module("scripts.render", "--check", "--output", str(stale))
    assert result.returncode == 1
    assert "stale" in result.stderr


def test_render_writes_then_is_a_no_op(tmp_path: Path) -> None:
    output = tmp_path / "out" / "command.md"
    first = run_module("scripts.render", "--output", str(output))
    second = run_module("scripts.render", "--output", str(output))
    assert first.returncode == second.returncode == 0
    assert "rendered" in first.stdout
    assert "up to date" in second.stdout
    assert output.read_text(encoding="utf-8") == RENDERED_PATH.read_text(encoding="utf-8")


def test_coverage_threshold_change_changes_the_prompt(tmp_path: Path) -> None:
    changed = render_claude_command(checklist_path=with_threshold(tmp_path, "tests.coverage", 91))
    original = render_claude_command()
    assert changed != original
    assert "threshold: 91 percent" in changed
    assert "coverage is at least 91%" in changed
    assert "coverage is at least 91%" not in original


def test_function_length_threshold_reaches_the_self_check(tmp_path: Path) -> None:
    path = with_threshold(tmp_path, "code.function_length", 25)
    changed = render_claude_command(checklist_path=path)
    assert "No function is longer than 25 lines" in changed
    assert "if count > 25:" in changed


def test_latency_threshold_reaches_the_performance_section(tmp_path: Path) -> None:
    changed = render_claude_command(checklist_path=with_threshold(tmp_path, "perf.latency", 150))
    assert "its p95 must be below 150 ms" in changed
    assert "p95 below 150 ms at 8 connections" in changed


def test_throughput_ratio_reaches_the_performance_section(tmp_path: Path) -> None:
    path = with_threshold(tmp_path, "perf.throughput", 0.45)
    changed = render_claude_command(checklist_path=path)
    assert "at least 0.45x\nthe bare endpoint's requests per second" in changed
    assert "at least\n0.45x the bare endpoint's" in changed
    assert "at least\n   0.45x the bare endpoint's requests per second at 64" in changed


def test_every_checklist_item_is_in_the_prompt() -> None:
    rendered = RENDERED_PATH.read_text(encoding="utf-8")
    checklist = load_checklist(CHECKLIST_PATH)
    missing = [item.id for item in checklist.items if f"(`{item.id}`" not in rendered]
    assert missing == []
    gates = sum(1 for item in checklist.items if item.gate)
    assert rendered.count("- **[gate]** **") == gates
    assert f"These {len(checklist.items)} items are the definition of done" in rendered


def test_claude_form_uses_arguments_not_positionals() -> None:
    rendered = RENDERED_PATH.read_text(encoding="utf-8")
    assert rendered.count("$ARGUMENTS") == 1
    assert "$TECH_DESIGN" not in rendered
    assert re.search(r"\$\d", rendered) is None
    assert "!`" not in rendered


def test_shell_variables_survive_rendering() -> None:
    rendered = RENDERED_PATH.read_text(encoding="utf-8")
    assert "alembic upgrade head against $DATABASE_URL" in rendered
    assert "uses $DATABASE_URL and $KAFKA_BOOTSTRAP_SERVERS" in rendered


def test_claude_frontmatter_has_the_claude_code_keys() -> None:
    meta, body = split_frontmatter(RENDERED_PATH.read_text(encoding="utf-8"), RENDERED_PATH)
    source = load_definition()
    assert list(meta) == ["description", "argument-hint", "allowed-tools", "version"]
    assert meta["version"] == source.version
    assert isinstance(meta["allowed-tools"], str)
    assert meta["allowed-tools"].split(", ") == source.meta["allowed-tools"]
    assert body.startswith("# Build an event-driven FastAPI microservice")


def test_source_keeps_the_tech_design_placeholder() -> None:
    definition = load_definition(SOURCE_PATH)
    assert definition.placeholders == ("TECH_DESIGN",)
    assert "$TECH_DESIGN" in definition.body


def test_declared_placeholder_without_a_value_is_an_error(tmp_path: Path) -> None:
    source = write_definition(
        tmp_path,
        "Design: $TECH_DESIGN, service $SERVICE_NAME\n",
        "  TECH_DESIGN: a\n  SERVICE_NAME: b",
    )
    with pytest.raises(RenderError, match=r"unsubstituted after rendering: \$SERVICE_NAME"):
        render_claude_command(source=source)


def test_declared_placeholder_unused_in_the_body_is_an_error(tmp_path: Path) -> None:
    source = write_definition(tmp_path, "No placeholder here.\n")
    with pytest.raises(RenderError, match=r"not used in the body: \$TECH_DESIGN"):
        render_claude_command(source=source)


@pytest.mark.parametrize("text", ["echo $1", "all: $ARGUMENTS", "run !`date`"])
def test_text_claude_code_would_expand_is_an_error(tmp_path: Path, text: str) -> None:
    source = write_definition(tmp_path, f"$TECH_DESIGN\n{text}\n")
    with pytest.raises(RenderError, match="Claude Code would expand"):
        render_claude_command(source=source)


def test_undefined_template_variable_is_an_error(tmp_path: Path) -> None:
    source = write_definition(tmp_path, "$TECH_DESIGN {{ no_such_value }}\n")
    with pytest.raises(RenderError, match="no_such_value"):
        render_claude_command(source=source)


def test_unknown_checklist_item_is_an_error(tmp_path: Path) -> None:
    source = write_definition(tmp_path, "$TECH_DESIGN {{ item('no.such').title }}\n")
    with pytest.raises(RenderError, match=r"unknown checklist item 'no\.such'"):
        render_template(load_definition(source), load_checklist(CHECKLIST_PATH))


def test_substitution_is_literal_and_single_pass() -> None:
    design = r"uses $TECH_DESIGN and \1 literally"
    result = substitute(
        "A $TECH_DESIGN B $TECH_DESIGN_PATH", ("TECH_DESIGN",), {"TECH_DESIGN": design}
    )
    assert result == rf"A {design} B $TECH_DESIGN_PATH"


def test_value_for_an_undeclared_placeholder_is_an_error() -> None:
    with pytest.raises(RenderError, match=r"does not declare \$OTHER"):
        substitute("$TECH_DESIGN", ("TECH_DESIGN",), {"TECH_DESIGN": "x", "OTHER": "y"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("no frontmatter\n", "expected YAML frontmatter"),
        ("---\n- a list\n---\nbody\n", "must be a mapping"),
        ("---\ndescription: d\n---\nbody\n", "frontmatter lacks"),
    ],
)
def test_malformed_definitions_are_rejected(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "definition.md"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError, match=message):
        load_definition(path)


def test_version_must_be_semantic(tmp_path: Path) -> None:
    path = write_definition(tmp_path, "$TECH_DESIGN\n")
    path.write_text(path.read_text(encoding="utf-8").replace("1.0.0", "1.0"), encoding="utf-8")
    with pytest.raises(DefinitionError, match="not a semantic version"):
        load_definition(path)


def test_numbers_are_formatted_without_a_spurious_decimal() -> None:
    assert [format_number(85), format_number(85.0), format_number(0.5)] == ["85", "85", "0.5"]
