"""Toolchain and test-run checks: output parsers, verdict rules and small fixture projects."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest

from evals.checks.migrations import failure_reason, located
from evals.checks.suite import coverage_outcome, suite_outcome
from evals.checks.toolchain import (
    TOOLCONFIG,
    ProjectToolConfig,
    audit_outcome,
    bandit_findings,
    black_findings,
    carried_sections,
    import_classification,
    installed_distributions,
    mypy_argv,
    mypy_findings,
    own_modules,
    project_line_length,
    ruff_findings,
    tool_env,
    unreachable_reason,
    write_mypy_config,
)
from evals.context import Facts
from evals.facts.layout import ProjectLayout
from evals.facts.outcomes import RecordedRun
from evals.facts.testrun import (
    TestRun,
    coverage_summary,
    junit_counts,
    junit_failures,
    project_omit,
)
from evals.model import Finding, Status, Tier
from evals.procs import ProcResult, run
from evals.runner import RunSettings
from evals.testing import compute_check

# ------------------------------------------------------------------ parsers


def test_ruff_json_becomes_located_findings(tmp_path: Path) -> None:
    output = json.dumps(
        [
            {
                "code": "F841",
                "message": "Local variable `x` is assigned to but never used",
                "filename": str(tmp_path / "src" / "app" / "main.py"),
                "location": {"row": 7, "column": 5},
            },
            {"code": None, "message": "SyntaxError: bad", "filename": "src/app/b.py"},
        ]
    )
    findings = ruff_findings(output, tmp_path)
    assert findings[0].path == "src/app/main.py"
    assert findings[0].line == 7
    assert findings[0].message.startswith("F841")
    assert findings[1].message.startswith("syntax")
    assert findings[1].line is None


def test_ruff_output_that_is_not_a_list_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a list"):
        ruff_findings('{"a": 1}', tmp_path)


def test_black_check_output_is_parsed() -> None:
    stderr = (
        "would reformat src/app/main.py\n"
        "error: cannot format src/app/bad.py: Cannot parse: 1:4: def (\n"
        "Oh no! 2 files would be reformatted.\n"
    )
    findings = black_findings(stderr)
    assert [f.path for f in findings] == ["src/app/main.py", "src/app/bad.py"]
    assert "Cannot parse" in findings[1].message


MYPY_LINES = [
    {
        "file": "src/app/a.py",
        "line": 3,
        "message": "Incompatible return",
        "code": "return-value",
        "severity": "error",
    },
    {"file": "src/app/a.py", "line": 3, "message": "See docs", "code": None, "severity": "note"},
]


def test_mypy_json_lines_keep_errors_and_drop_notes() -> None:
    output = "\n".join(json.dumps(line) for line in MYPY_LINES) + "\nFound 1 error in 1 file\n"
    findings = mypy_findings(output)
    assert len(findings) == 1
    assert findings[0].path == "src/app/a.py"
    assert findings[0].line == 3
    assert findings[0].message.endswith("[return-value]")


def test_bandit_report_is_parsed() -> None:
    report = {
        "errors": [],
        "results": [
            {
                "filename": "src/app/x.py",
                "line_number": 9,
                "test_id": "B602",
                "issue_text": "subprocess call with shell=True identified.",
                "issue_severity": "HIGH",
                "issue_confidence": "HIGH",
            }
        ],
    }
    findings = bandit_findings(json.dumps(report))
    assert findings[0].path == "src/app/x.py"
    assert findings[0].line == 9
    assert "B602" in findings[0].message


def test_bandit_scan_errors_are_findings() -> None:
    report = {"errors": [{"filename": "src/app/bad.py", "reason": "syntax error"}], "results": []}
    findings = bandit_findings(json.dumps(report))
    assert findings[0].path == "src/app/bad.py"
    assert "could not scan" in findings[0].message


VULNERABLE_REPORT = {
    "dependencies": [
        {
            "name": "jinja2",
            "version": "2.10",
            "vulns": [
                {
                    "id": "PYSEC-2019-217",
                    "fix_versions": ["2.10.1"],
                    "aliases": ["CVE-2019-10906"],
                    "description": "sandbox escape",
                }
            ],
        },
        {"name": "six", "version": "1.17.0", "vulns": []},
    ],
    "fixes": [],
}


def test_pip_audit_vulnerability_fails_with_lock_location(tmp_path: Path) -> None:
    (tmp_path / "poetry.lock").write_text(
        '[[package]]\nname = "six"\n\n[[package]]\nname = "jinja2"\n', encoding="utf-8"
    )
    outcome = audit_outcome(VULNERABLE_REPORT, tmp_path)
    assert outcome.status is Status.FAIL
    assert outcome.findings[0].path == "poetry.lock"
    assert outcome.findings[0].line == 5
    assert "PYSEC-2019-217" in outcome.findings[0].message
    assert "2.10.1" in outcome.findings[0].message


def test_pip_audit_clean_report_passes(tmp_path: Path) -> None:
    report = {"dependencies": [{"name": "six", "version": "1.17.0", "vulns": []}]}
    assert audit_outcome(report, tmp_path).status is Status.PASS


def test_pip_audit_unaudited_dependencies_are_an_error_not_a_pass(tmp_path: Path) -> None:
    report = {
        "dependencies": [
            {"name": "six", "skip_reason": "Dependency not found on PyPI and could not be audited"},
            {"name": "idna", "version": "3.7", "vulns": []},
        ]
    }
    outcome = audit_outcome(report, tmp_path)
    assert outcome.status is Status.ERROR
    assert "six" in outcome.reason


def test_pip_audit_connection_failure_reason() -> None:
    result = ProcResult(
        ("pip-audit",), 1, "", "requests.exceptions.ConnectionError: x", False, False, 1.0
    )
    assert "unreachable" in unreachable_reason(result)


def test_installed_distributions_skip_seed_and_harness_tools(tmp_path: Path) -> None:
    for name, version in (("pip", "23.2"), ("Pydantic_Core", "2.1"), ("pytest", "8.0")):
        info = tmp_path / f"{name}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Name: {name}\nVersion: {version}\n\nbody", encoding="utf-8"
        )
    assert installed_distributions(tmp_path, ["pytest"]) == {"pydantic-core": "2.1"}


def test_project_line_length_prefers_black_and_is_capped(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    assert project_line_length(ProjectToolConfig.read(tmp_path)) == 88
    pyproject.write_text("[tool.ruff]\nline-length = 100\n", encoding="utf-8")
    assert project_line_length(ProjectToolConfig.read(tmp_path)) == 100
    pyproject.write_text("[tool.black]\nline-length = 400\n", encoding="utf-8")
    assert project_line_length(ProjectToolConfig.read(tmp_path)) == 120


def test_import_classification_comes_from_the_project(tmp_path: Path) -> None:
    assert import_classification(ProjectToolConfig.read(tmp_path)) == []
    (tmp_path / "pyproject.toml").write_text(
        '[tool.ruff]\nsrc = ["src"]\n[tool.ruff.lint]\nignore = ["F"]\n'
        '[tool.ruff.lint.isort]\nknown-first-party = ["app"]\n',
        encoding="utf-8",
    )
    overrides = import_classification(ProjectToolConfig.read(tmp_path))
    assert overrides == [
        "--config",
        'src = ["src"]',
        "--config",
        'lint.isort.known-first-party = ["app"]',
    ]
    assert not any("ignore" in arg for arg in overrides)


JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="1" failures="1" skipped="1" tests="4">
<testcase classname="tests.unit.test_a" name="test_ok" file="tests/unit/test_a.py" line="3"/>
<testcase classname="tests.unit.test_a" name="test_bad" file="tests/unit/test_a.py" line="9">
<failure message="assert 1 == 2">trace</failure></testcase>
<testcase classname="tests.unit.test_a" name="test_err"><error message="fixture boom"/></testcase>
<testcase classname="tests.unit.test_a" name="test_skip"><skipped message="later"/></testcase>
</testsuite></testsuites>"""


def test_junit_counts_and_failures() -> None:
    assert junit_counts(JUNIT) == {"tests": 4, "failures": 1, "errors": 1, "skipped": 1}
    failures = junit_failures(JUNIT)
    assert failures[0].path == "tests/unit/test_a.py"
    assert failures[0].line == 10
    assert "assert 1 == 2" in failures[0].message
    assert failures[1].path is None


def test_junit_garbage_is_rejected() -> None:
    with pytest.raises(ValueError, match="JUnit"):
        junit_counts("not xml <")


def test_coverage_summary_reads_totals_and_files() -> None:
    report = {
        "totals": {"percent_covered": 91.25},
        "files": {"src/app/a.py": {"summary": {"percent_covered": 50.0}}},
    }
    assert coverage_summary(report) == (91.25, {"src/app/a.py": 50.0})
    assert coverage_summary({}) == (None, {})


async def test_project_omit_is_collected_from_every_config(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.coverage.run]\nomit = ["src/app/kafka/*"]\n', encoding="utf-8"
    )
    (tmp_path / ".coveragerc").write_text("[run]\nomit =\n    src/app/main.py\n", encoding="utf-8")
    (tmp_path / "setup.cfg").write_text("[coverage:report]\nomit = a.py, b.py\n", encoding="utf-8")
    facts = Facts(tmp_path, RunSettings(tier=Tier.STATIC).options(tmp_path))
    omit = await project_omit(facts)
    assert omit == ("src/app/kafka/*", "src/app/main.py", "a.py", "b.py")


# ------------------------------------------------------------------ verdict rules


def test_suite_outcome_rules() -> None:
    recorded = RecordedRun(finished=True, exitstatus=0)
    assert suite_outcome(TestRun(0, False, tests=3, recorded=recorded)).status is Status.PASS
    unrecorded = suite_outcome(TestRun(0, False, tests=3))
    assert unrecorded.status is Status.FAIL and "no complete record" in unrecorded.reason
    rewritten = (Finding("test tests/test_a.py::test_b failed", "tests/test_a.py"),)
    flipped = suite_outcome(TestRun(0, False, tests=3, recorded=recorded, rewritten=rewritten))
    assert flipped.status is Status.FAIL and flipped.findings[0] == rewritten[0]
    overridden = RecordedRun(finished=True, exitstatus=1)
    exit_zero = suite_outcome(TestRun(0, False, tests=3, recorded=overridden))
    assert exit_zero.status is Status.FAIL and "exit status was 1" in exit_zero.reason
    no_tests = suite_outcome(TestRun(5, False))
    assert no_tests.status is Status.FAIL
    assert "no tests ran" in no_tests.reason
    assert suite_outcome(TestRun(0, False, tests=2, skipped=2)).status is Status.FAIL
    assert "timed out" in suite_outcome(TestRun(None, True, tests=1)).reason
    failing = suite_outcome(TestRun(1, False, tests=3, failures=1))
    assert failing.status is Status.FAIL
    assert "1 failed" in failing.reason


def test_coverage_outcome_rules() -> None:
    low = TestRun(0, False, tests=1, coverage_percent=60.0, file_coverage={"src/app/a.py": 10.0})
    outcome = coverage_outcome(low, 85)
    assert outcome.status is Status.FAIL
    assert outcome.findings[0].path == "src/app/a.py"
    high = TestRun(0, False, tests=1, coverage_percent=90.0, project_omit=("src/app/x.py",))
    passed = coverage_outcome(high, 85)
    assert passed.status is Status.PASS
    assert "omit" in passed.reason
    assert passed.metrics["coverage"] == 90.0
    assert coverage_outcome(TestRun(None, True), 85).status is Status.FAIL


def test_migration_failure_is_located_in_the_project(tmp_path: Path) -> None:
    revision = tmp_path / "alembic" / "versions" / "0001.py"
    revision.parent.mkdir(parents=True)
    revision.write_text("x = 1\n", encoding="utf-8")
    output = (
        f'  File "{revision}", line 12, in downgrade\n'
        '  File "/venv/lib/python3.11/site-packages/alembic/op.py", line 5, in x\n'
        '  File "<string>", line 3, in drop_table\n'
    )
    assert located(output, tmp_path) == ("alembic/versions/0001.py", 12)
    assert "autogenerate" in failure_reason(("check",))


# ------------------------------------------------------------------ fixture projects


def _project(root: Path, files: dict[str, str]) -> Path:
    """Write a small project from ``{relative path: text}``."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


CLEAN_MODULE = '''
"""A small, clean module."""


def add(left: int, right: int) -> int:
    """Add two numbers.

    Args:
        left: The first number.
        right: The second number.

    Returns:
        The sum.
    """
    return left + right
'''


def calc_project(root: Path, package_dir: str) -> Path:
    """A clean, tested ``calc`` project whose package is at ``package_dir``."""
    return _project(
        root,
        {
            "pyproject.toml": f'[project]\nname = "{root.name}"\nversion = "0.1.0"\n',
            f"{package_dir}/__init__.py": '"""The app package."""\n',
            f"{package_dir}/calc.py": CLEAN_MODULE,
            "tests/test_calc.py": "from app.calc import add\n\n\n"
            "def test_add() -> None:\n    assert add(1, 2) == 3\n",
        },
    )


@pytest.fixture
def clean_project(tmp_path: Path) -> Path:
    return calc_project(tmp_path / "clean", "src/app")


@pytest.mark.slow
@pytest.mark.parametrize(
    "item_id", ["lint.ruff", "format.black", "security.bandit", "docs.docstrings"]
)
async def test_clean_fixture_passes(item_id: str, clean_project: Path) -> None:
    outcome = await compute_check(item_id, clean_project, tier=Tier.TOOLCHAIN)
    assert outcome.status is Status.PASS, outcome.reason


@pytest.mark.slow
async def test_project_ruff_config_cannot_hide_a_finding(clean_project: Path) -> None:
    _project(
        clean_project,
        {
            "pyproject.toml": '[project]\nname = "c"\nversion = "0"\n'
            '[tool.ruff]\nexclude = ["src"]\n[tool.ruff.lint]\nignore = ["F401"]\n',
            "src/app/extra.py": '"""Extra."""\n\nimport os\n',
        },
    )
    outcome = await compute_check("lint.ruff", clean_project, tier=Tier.TOOLCHAIN)
    assert outcome.status is Status.FAIL
    assert ("src/app/extra.py", 3) in {(f.path, f.line) for f in outcome.findings}


@pytest.mark.slow
async def test_bandit_ini_in_project_is_ignored(clean_project: Path) -> None:
    _project(
        clean_project,
        {
            ".bandit": "[bandit]\nskips = B602\n",
            "src/app/shell.py": '"""Shell."""\nimport subprocess\n\n\n'
            'def run(cmd: str) -> int:\n    """Run."""\n'
            "    return subprocess.call(cmd, shell=True)\n",
        },
    )
    outcome = await compute_check("security.bandit", clean_project, tier=Tier.TOOLCHAIN)
    assert outcome.status is Status.FAIL
    assert outcome.findings[0].path == "src/app/shell.py"
    assert outcome.findings[0].line == 7


@pytest.mark.slow
async def test_missing_docstring_is_found(clean_project: Path) -> None:
    _project(
        clean_project, {"src/app/calc.py": "def add(a: int, b: int) -> int:\n    return a + b\n"}
    )
    outcome = await compute_check("docs.docstrings", clean_project, tier=Tier.TOOLCHAIN)
    assert outcome.status is Status.FAIL
    assert {f.path for f in outcome.findings} == {"src/app/calc.py"}


@pytest.mark.slow
async def test_pip_audit_really_run_here_is_an_error(
    clean_project: Path, eval_cache_dir: Path
) -> None:
    """This machine cannot reach the vulnerability service: the check must say so."""
    _project(
        clean_project,
        {"pyproject.toml": '[project]\nname = "c"\nversion = "0"\ndependencies = ["six"]\n'},
    )
    outcome = await compute_check(
        "security.dependencies", clean_project, tier=Tier.TOOLCHAIN, cache_dir=eval_cache_dir
    )
    assert outcome.status is Status.ERROR
    assert "not verified" in outcome.reason


@pytest.mark.slow
@pytest.mark.full
async def test_fixture_suite_runs_with_harness_coverage(
    clean_project: Path, eval_cache_dir: Path
) -> None:
    _project(
        clean_project,
        {
            "pyproject.toml": '[project]\nname = "c"\nversion = "0"\n'
            '[tool.coverage.run]\nomit = ["src/app/calc.py"]\n'
        },
    )
    passed = await compute_check("tests.pass", clean_project, cache_dir=eval_cache_dir)
    coverage = await compute_check("tests.coverage", clean_project, cache_dir=eval_cache_dir)
    assert passed.status is Status.PASS, passed.reason
    assert passed.metrics["tests"] == 1
    assert "harness installed" in passed.reason
    assert coverage.status is Status.PASS, coverage.reason
    assert coverage.metrics["coverage"] == 100.0
    assert "omit" in coverage.reason


@pytest.mark.slow
@pytest.mark.full
async def test_fixture_without_tests_fails(clean_project: Path, eval_cache_dir: Path) -> None:
    (clean_project / "tests" / "test_calc.py").unlink()
    outcome = await compute_check("tests.pass", clean_project, cache_dir=eval_cache_dir)
    assert outcome.status is Status.FAIL
    assert "no tests ran" in outcome.reason


# ------------------------------------------------------------------ layout and mypy overrides


@pytest.fixture
def root_package_project(tmp_path: Path) -> Path:
    """The clean project with its package at ``app/`` (no ``src/``)."""
    return calc_project(tmp_path / "rooted", "app")


@pytest.mark.slow
@pytest.mark.parametrize(
    "item_id", ["lint.ruff", "format.black", "security.bandit", "docs.docstrings"]
)
async def test_package_at_the_project_root_passes(item_id: str, root_package_project: Path) -> None:
    outcome = await compute_check(item_id, root_package_project, tier=Tier.TOOLCHAIN)
    assert outcome.status is Status.PASS, outcome.reason


@pytest.mark.slow
async def test_package_at_the_project_root_is_checked(root_package_project: Path) -> None:
    _project(
        root_package_project,
        {"app/calc.py": "import subprocess\ndef add(a: int, b: int) -> int:\n    return a + b\n"},
    )
    for item_id in ("docs.docstrings", "format.black"):
        outcome = await compute_check(item_id, root_package_project, tier=Tier.TOOLCHAIN)
        assert outcome.status is Status.FAIL, outcome
        assert {f.path for f in outcome.findings} == {"app/calc.py"}


ROOT_LAYOUT = ProjectLayout("app", "app")
MYPY_OVERRIDES = """
[tool.mypy]
ignore_missing_imports = true
strict = false

[[tool.mypy.overrides]]
module = ["aiokafka", "aiokafka.*", "app.*", "*"]
ignore_missing_imports = true
ignore_errors = true

[[tool.mypy.overrides]]
module = "asyncpg"
disable_error_code = ["import-untyped", "arg-type"]
follow_untyped_imports = true
"""


def test_only_third_party_import_excuses_are_carried_over(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(MYPY_OVERRIDES, encoding="utf-8")
    (tmp_path / "setup.cfg").write_text(
        "[mypy]\nignore_missing_imports = True\n[mypy-kafka.*, tests.*, alembic.*]\n"
        "ignore_missing_imports = True\nwarn_return_any = False\n",
        encoding="utf-8",
    )
    files = ["app/main.py", "tests/test_x.py", "alembic/env.py"]
    sections = carried_sections(ProjectToolConfig.read(tmp_path), own_modules(files, ROOT_LAYOUT))
    assert sections == (
        "\n[mypy-aiokafka]\nignore_missing_imports = True\n"
        "\n[mypy-aiokafka.*]\nignore_missing_imports = True\n"
        "\n[mypy-alembic.*]\nignore_missing_imports = True\n"
        "\n[mypy-asyncpg]\nfollow_untyped_imports = True\ndisable_error_code = import-untyped\n"
        "\n[mypy-kafka.*]\nignore_missing_imports = True\n"
    )


def test_generated_mypy_config_keeps_the_harness_config(tmp_path: Path) -> None:
    (tmp_path / "mypy.ini").write_text(
        "[mypy]\nstrict = False\n[mypy-aiokafka.*]\nignore_missing_imports = true\n",
        encoding="utf-8",
    )
    config = write_mypy_config(
        tmp_path / "work", ProjectToolConfig.read(tmp_path), {"app"}
    ).read_text(encoding="utf-8")
    assert config.startswith((TOOLCONFIG / "mypy.ini").read_text(encoding="utf-8"))
    assert config.endswith("\n[mypy-aiokafka.*]\nignore_missing_imports = True\n")
    assert "strict = False" not in config


UNTYPED_IMPORT = '''
"""Builds a producer."""

from aiokafka import AIOKafkaProducer


def build() -> None:
    """Build one."""
    AIOKafkaProducer()


def broken() -> int:
    """Promise an int."""
    return "text"
'''


async def mypy_errors(project: Path, python: Path, workdir: Path) -> set[tuple[str, str]]:
    """Run the harness's mypy as ``types.mypy`` does on ``app/``: (file, message) pairs."""
    own = own_modules(["app/__init__.py"], ROOT_LAYOUT)
    config = write_mypy_config(workdir, ProjectToolConfig.read(project), own)
    argv = mypy_argv(python, workdir / "cache", config, "app")
    result = await run(argv, cwd=project, env={**tool_env(), "MYPYPATH": str(project)})
    return {(f.path or "", f.message) for f in mypy_findings(result.stdout)}


@pytest.mark.slow
async def test_mypy_honours_third_party_import_excuses_only(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    await run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path)
    untyped = next(venv.glob("lib/python*/site-packages")) / "aiokafka"
    untyped.mkdir()
    (untyped / "__init__.py").write_text("class AIOKafkaProducer:\n    pass\n", encoding="utf-8")
    project = _project(
        tmp_path / "project",
        {"app/__init__.py": '"""App."""\n', "app/kafka.py": UNTYPED_IMPORT},
    )
    before = await mypy_errors(project, venv / "bin" / "python", tmp_path / "w1")
    assert any("import-untyped" in message for _, message in before), before
    (project / "pyproject.toml").write_text(MYPY_OVERRIDES, encoding="utf-8")
    after = await mypy_errors(project, venv / "bin" / "python", tmp_path / "w2")
    assert {message.rsplit(" ", 1)[-1] for _, message in after} == {"[return-value]"}, after
