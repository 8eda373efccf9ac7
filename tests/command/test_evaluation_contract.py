"""The evaluation contract is written once: the prompt renders it, the harness reads it."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.checks.api import LIVE_PATH, READY_PATH
from evals.checks.observability import HEADER
from evals.checks.project_files import MAKE_TARGETS
from evals.evaluation_contract import (
    CONTRACT_PATH,
    EVALUATION,
    EvaluationContractError,
    load_evaluation_contract,
)
from evals.facts.design_stack import PROCFILE, WEB
from evals.facts.layout import CONTRACT_TARGET
from scripts.render import RenderError, harness_metadata, render_claude_command


def _contract_section() -> str:
    text = render_claude_command()
    start = text.index("## Evaluation contract")
    return text[start : text.index("\n## ", start + 1)]


def test_the_harness_uses_the_contract_values() -> None:
    assert CONTRACT_TARGET.spec == f"{EVALUATION.app_module}:{EVALUATION.app_attr}"
    assert (
        EVALUATION.health_live,
        EVALUATION.health_ready,
        EVALUATION.correlation_header,
    ) == (LIVE_PATH, READY_PATH, HEADER)
    assert EVALUATION.make_targets == MAKE_TARGETS
    assert (EVALUATION.procfile, EVALUATION.procfile_web) == (PROCFILE, WEB)


def test_the_prompt_states_every_value_the_harness_relies_on() -> None:
    section = _contract_section()
    values = [
        f"{EVALUATION.app_module}:{EVALUATION.app_attr}",
        EVALUATION.health_live,
        EVALUATION.health_ready,
        EVALUATION.correlation_header,
        EVALUATION.idempotence_env,
        *EVALUATION.make_targets,
    ]
    assert [value for value in values if value not in section] == []


def test_the_prompt_states_the_procfile_process_contract() -> None:
    section = _contract_section()
    assert f"A `{EVALUATION.procfile}` at the project root names every process" in section
    assert f"`{EVALUATION.procfile_web}` for the API" in section
    assert "exits 0 on SIGTERM" in section


def test_a_broken_contract_file_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "contract.yaml"
    broken.write_text(CONTRACT_PATH.read_text(encoding="utf-8").replace("health:", "healthz:"))
    with pytest.raises(EvaluationContractError, match="missing or invalid value"):
        load_evaluation_contract(broken)


def test_the_self_check_runs_the_harness_from_the_project_metadata() -> None:
    metadata = harness_metadata()
    text = render_claude_command()
    command = f"pipx run --spec git+{metadata['repository']} {metadata['entry_point']} score ."
    assert command in text
    assert metadata["entry_point"] == "fastapi-command-eval"
    assert "scorecard summary" in text[text.index("## Report") :]


def test_render_fails_clearly_without_a_repository_address(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "x"\n[project.scripts]\nx = "m:f"\n')
    with pytest.raises(RenderError, match="no repository address"):
        harness_metadata(pyproject)
