"""The GitHub Action (action.yml) and the example workflows: schemas, and the steps run locally.

The action's shell steps are run with bash as the runner would run them: ``${{ ... }}``
expressions in their ``env`` replaced by the inputs and the earlier steps' outputs, and
``GITHUB_OUTPUT``, ``GITHUB_STEP_SUMMARY`` and ``GITHUB_WORKSPACE`` in a temporary directory.
Setting up Python, installing the harness (``scripts/ci_install.sh``, which needs the network)
and the SARIF upload are GitHub's own actions and are not run: this repository's interpreter
stands in for the installed harness.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from evals.contract import known_cases
from scripts.ci_score import WORKFLOW_FILES, _parser, harness_argv, harness_env, main
from scripts.definition import REPO_ROOT

ACTION = REPO_ROOT / "action.yml"
EXAMPLES = sorted((REPO_ROOT / "examples").glob("*.yml"))
SCHEMAS = REPO_ROOT / "scripts" / "schemas"
EXPRESSION = re.compile(r"\$\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}")
PINNED_ACTION = re.compile(r"^[\w.-]+/[\w./-]+@v\d+$")
REQUIRED_INPUTS = {"path", "tier", "case", "fail-on-error", "formats", "sarif"}


class _Loader(yaml.SafeLoader):
    """YAML 1.2 booleans only, as GitHub reads workflows: ``on:`` stays the string "on"."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_yaml(path: Path) -> dict[str, Any]:
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506
    assert isinstance(document, dict)
    return document


def schema_errors(document: dict[str, Any], schema_name: str) -> list[str]:
    schema = json.loads((SCHEMAS / schema_name).read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    errors = jsonschema.Draft7Validator(schema).iter_errors(document)
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in errors]


def test_action_validates_against_the_github_action_schema() -> None:
    assert schema_errors(load_yaml(ACTION), "github-action.json") == []


def test_examples_exist_for_pull_requests_and_a_matrix() -> None:
    names = [path.name for path in EXAMPLES]
    assert names == ["score-matrix.yml", "score-pull-request.yml"]


@pytest.mark.parametrize("workflow", EXAMPLES, ids=lambda path: path.name)
def test_example_validates_against_the_github_workflow_schema(workflow: Path) -> None:
    assert schema_errors(load_yaml(workflow), "github-workflow.json") == []


def test_schemas_reject_a_broken_action() -> None:
    broken = load_yaml(ACTION)
    broken["runs"]["using"] = "composite-ish"
    assert schema_errors(broken, "github-action.json") != []


def all_uses(document: Any) -> list[str]:  # noqa: ANN401 - any YAML node
    if isinstance(document, dict):
        own = [document["uses"]] if isinstance(document.get("uses"), str) else []
        return own + [use for value in document.values() for use in all_uses(value)]
    if isinstance(document, list):
        return [use for value in document for use in all_uses(value)]
    return []


@pytest.mark.parametrize("path", [ACTION, *EXAMPLES], ids=lambda path: path.name)
def test_every_used_action_is_pinned_to_a_major_version(path: Path) -> None:
    uses = all_uses(load_yaml(path))
    assert uses
    assert [use for use in uses if not PINNED_ACTION.match(use)] == []


def test_action_inputs_and_outputs() -> None:
    action = load_yaml(ACTION)
    assert set(action["inputs"]) >= REQUIRED_INPUTS
    case_help = action["inputs"]["case"]["description"]
    assert "--case" in case_help and all(known in case_help for known in known_cases())
    assert action["outputs"]["score"]["value"] == "${{ steps.score.outputs.score }}"
    assert action["outputs"]["passed"]["value"] == "${{ steps.score.outputs.passed }}"
    steps = {step.get("id"): step for step in action["runs"]["steps"]}
    assert steps["python"]["uses"].startswith("actions/setup-python@")
    assert "scripts/ci_install.sh" in steps["install"]["run"]
    upload = next(s for s in action["runs"]["steps"] if "upload-sarif" in s.get("uses", ""))
    assert upload["if"] == "${{ steps.score.outputs.sarif-file != '' }}"


def test_install_script_is_valid_bash() -> None:
    script = REPO_ROOT / "scripts" / "ci_install.sh"
    assert os.access(script, os.X_OK)
    assert subprocess.run(["bash", "-n", str(script)], check=False).returncode == 0
    assert "poetry install --only main" in script.read_text(encoding="utf-8")


@dataclass
class Runner:
    """Runs the action's shell steps in order, the way the runner would (local stand-in)."""

    workspace: Path
    temp: Path
    inputs: dict[str, str]
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)

    def context(self) -> dict[str, str]:
        values = {f"inputs.{name}": value for name, value in self.inputs.items()}
        values |= {"github.action_path": str(REPO_ROOT), "runner.temp": str(self.temp)}
        for step, outputs in self.outputs.items():
            values |= {f"steps.{step}.outputs.{key}": value for key, value in outputs.items()}
        return values

    def render(self, text: str) -> str:
        context = self.context()
        return EXPRESSION.sub(lambda match: context.get(match[1], ""), text)

    def env(self, step: dict[str, Any], output: Path) -> dict[str, str]:
        own = {key: self.render(str(value)) for key, value in step.get("env", {}).items()}
        env = dict(os.environ) | own
        return env | {
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(self.temp / "summary.md"),
            "GITHUB_ACTION_PATH": str(REPO_ROOT),
            "RUNNER_TEMP": str(self.temp),
        }

    def run_step(self, step: dict[str, Any]) -> int:
        output = self.temp / f"output-{step.get('id', len(self.outputs))}"
        output.touch()
        cwd = self.render(step.get("working-directory", str(self.workspace)))
        argv = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]]
        done = subprocess.run(argv, cwd=cwd, env=self.env(step, output), check=False, timeout=600)
        lines = output.read_text(encoding="utf-8").splitlines()
        self.outputs[step.get("id", "")] = dict(line.split("=", 1) for line in lines if line)
        return done.returncode

    def run_action(self) -> int:
        """Run the shell steps after the harness install; return the last step's exit status."""
        self.outputs["install"] = {"python": sys.executable}
        steps = load_yaml(ACTION)["runs"]["steps"]
        skipped = ("install", "userns")  # network; a runner-wide kernel setting
        shell_steps = [step for step in steps if "run" in step and step.get("id") not in skipped]
        code = 0
        for step in shell_steps:
            code = self.run_step(step)
            if code != 0:
                return code
        return code


def runner(workspace: Path, tmp_path: Path, path: str) -> Runner:
    specs = load_yaml(ACTION)["inputs"].items()
    defaults = {name: str(spec.get("default", "")) for name, spec in specs}
    inputs = defaults | {"path": path, "tier": "static", "formats": "terminal"}
    (tmp_path / "runner-temp").mkdir()
    return Runner(workspace, tmp_path / "runner-temp", inputs)


def copy_reference(workspace: Path) -> Path:
    ignore = shutil.ignore_patterns(".venv", "__pycache__", ".*_cache", ".coverage*")
    return Path(shutil.copytree(REPO_ROOT / "reference_impl", workspace / "service", ignore=ignore))


def test_action_passes_the_reference_at_the_static_tier(tmp_path: Path) -> None:
    action = runner(REPO_ROOT, tmp_path, "reference_impl")
    assert action.run_action() == 0
    outputs = action.outputs["score"]
    assert outputs["score"] == "100"
    assert outputs["passed"] == "true"
    assert outputs["exit-code"] == "0"
    assert Path(outputs["sarif-file"]).is_file()
    summary = (action.temp / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith("# Scorecard") and "passed" in summary


def test_action_fails_a_project_without_repositories(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    shutil.rmtree(copy_reference(workspace) / "src" / "app" / "repositories")
    action = runner(workspace, tmp_path, "service")
    assert action.run_action() == 1
    outputs = action.outputs["score"]
    assert outputs["passed"] == "false"
    assert outputs["exit-code"] == "1"
    assert 0 <= float(outputs["score"]) < 100
    summary = (action.temp / "summary.md").read_text(encoding="utf-8")
    assert re.search(r"fail.*`structure\.layout`", summary), summary
    assert json.loads((Path(outputs["report-dir"]) / "result.json").read_text())["passed"] is False


def test_a_case_is_passed_on_only_when_given() -> None:
    without = harness_argv(_parser().parse_args([]), Path("p"), Path("o"))
    with_case = harness_argv(_parser().parse_args(["--case", " orders "]), Path("p"), Path("o"))
    assert "--case" not in without
    assert with_case[-2:] == ["--case", "orders"]
    assert with_case.count("--format") == 3  # terminal, json, markdown


def test_a_case_fails_as_bad_usage_until_the_harness_supports_it(tmp_path: Path) -> None:
    action = runner(REPO_ROOT, tmp_path, "reference_impl")
    action.inputs["case"] = "orders"
    assert action.run_action() == 2
    assert action.outputs["score"]["score"] == ""
    assert action.outputs["score"]["passed"] == "false"
    summary = (action.temp / "summary.md").read_text(encoding="utf-8")
    assert "Scoring failed" in summary


def test_an_invalid_flag_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--sarif", "maybe"]) == 2
    assert "sarif must be true or false" in capsys.readouterr().err


def table_step() -> dict[str, Any]:
    workflow = load_yaml(REPO_ROOT / "examples" / "score-matrix.yml")
    return dict(workflow["jobs"]["table"]["steps"][-1])


def write_result(root: Path, project: str, score: float, passed: bool) -> None:
    counts = {"pass": 3, "fail": 0 if passed else 1, "error": 0, "skip": 1}
    result = {"score": score, "passed": passed, "summary": {"counts": counts}}
    (root / f"eval-{project}").mkdir(parents=True)
    (root / f"eval-{project}" / "result.json").write_text(json.dumps(result), encoding="utf-8")


def test_matrix_table_collects_every_project(tmp_path: Path) -> None:
    step = table_step()
    assert step["shell"] == "python"
    write_result(tmp_path / "results", "alpha", 100.0, True)
    write_result(tmp_path / "results", "beta", 62.5, False)
    env = dict(os.environ, PROJECTS='["alpha", "beta", "gamma"]')
    env["GITHUB_STEP_SUMMARY"] = str(tmp_path / "summary.md")
    argv = [sys.executable, "-c", step["run"]]
    done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 1, done.stderr
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "| `alpha` | 100 | ✅ passed | 3 | 0 | 0 | 1 |" in summary
    assert "| `beta` | 62.5 | ❌ failed | 3 | 1 | 0 | 1 |" in summary
    assert "| `gamma` | | ❌ no result |" in summary


def test_the_harness_and_its_tools_cannot_write_the_step_outputs() -> None:
    env = {name: f"/runner/{name}" for name in WORKFLOW_FILES} | {"GITHUB_WORKSPACE": "/w"}
    assert harness_env(env) == {"GITHUB_WORKSPACE": "/w"}
    assert "GITHUB_OUTPUT" in WORKFLOW_FILES and "GITHUB_STEP_SUMMARY" in WORKFLOW_FILES


def test_user_namespace_step_is_linux_only_and_optional() -> None:
    steps = {step.get("id"): step for step in load_yaml(ACTION)["runs"]["steps"]}
    assert "runner.os == 'Linux'" in steps["userns"]["if"]
    assert "inputs.allow-user-namespaces == 'true'" in steps["userns"]["if"]
    assert subprocess.run(["bash", "-n", "-c", steps["userns"]["run"]], check=False).returncode == 0


def test_no_expression_is_pasted_into_a_script() -> None:
    """Inputs reach the shell through env only, never as text GitHub pastes into a script."""
    steps = load_yaml(ACTION)["runs"]["steps"]
    assert [step["name"] for step in steps if "${{" in step.get("run", "")] == []
