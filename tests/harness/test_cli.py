"""The command line: exit codes, one-line errors, report files (real subprocesses)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from evals import cli, registry
from evals.checklist import load_checklist
from evals.model import RunResult, Status, Tier
from evals.workspace import ProjectModifiedError
from tests.harness.fakes import hash_tree, result, run_result, sample_result
from tests.harness.test_reports import validate_json_report, validate_sarif

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "projects"


def evals_cli(*args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``python -m evals`` in a subprocess from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", "evals", *map(str, args)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def assert_one_line_error(done: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert fragment in done.stderr
    assert done.stdout == ""


def registry_gaps() -> str:
    """The checklist items without a check; empty once every check is written."""
    registry.load_all()
    missing = sorted({i.id for i in load_checklist().items} - set(registry.CHECKS))
    return ", ".join(missing)


def test_nonexistent_path_exits_2(tmp_path: Path) -> None:
    assert_one_line_error(evals_cli("score", tmp_path / "nope"), "no such file or directory")


def test_a_file_exits_2(tmp_path: Path) -> None:
    target = tmp_path / "file.py"
    target.write_text("x = 1\n")
    assert_one_line_error(evals_cli("score", target), "not a directory")


def test_an_empty_directory_exits_2(tmp_path: Path) -> None:
    assert_one_line_error(evals_cli("score", tmp_path), "not a Python project")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ((), "required"),
        (("score",), "required: path"),
        (("score", ".", "--tier", "bogus"), "invalid choice: 'bogus'"),
        (("score", ".", "--format", "pdf"), "invalid choice: 'pdf'"),
        (("score", ".", "--format", "json", "--format", "html"), "need --output DIR"),
        (("score", ".", "--select", "no.such_item", "--tier", "static"), "matches no item"),
    ],
)
def test_bad_usage_exits_2_with_one_line(args: tuple[str, ...], fragment: str) -> None:
    assert_one_line_error(evals_cli(*args), fragment)


def test_help_exits_0() -> None:
    done = evals_cli("score", "--help")
    assert done.returncode == 0
    assert "--fail-on-error" in done.stdout


REPORT_FILES = {
    "scorecard.txt",
    "result.json",
    "junit.xml",
    "result.sarif",
    "summary.md",
    "report.html",
}
ALL_FORMATS = [
    a for f in ("terminal", "json", "junit", "sarif", "markdown", "html") for a in ("--format", f)
]


def assert_complete_reports(out: Path, tier: Tier) -> None:
    """Every report file exists and parses; the JSON lists every item of ``tier``."""
    assert {p.name for p in out.iterdir()} == REPORT_FILES
    document = validate_json_report((out / "result.json").read_text())
    expected = [i.id for i in load_checklist().items if i.tier <= tier]
    assert [c["id"] for c in document["checks"]] == expected
    validate_sarif((out / "result.sarif").read_text())
    assert ET.parse(out / "junit.xml").getroot().tag == "testsuites"  # noqa: S314


@pytest.mark.slow
def test_syntax_error_project_gets_a_complete_static_report(tmp_path: Path) -> None:
    gaps = registry_gaps()
    if gaps:
        pytest.skip(f"the static run needs every check registered; missing: {gaps}")
    project = FIXTURES / "syntax_error"
    before = hash_tree(project)
    done = evals_cli(
        "score", project, "--tier", "static", *ALL_FORMATS, "--output", tmp_path / "out"
    )
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr
    assert "Scorecard" in done.stdout
    assert_complete_reports(tmp_path / "out", Tier.STATIC)
    assert hash_tree(project) == before


# In-process tests of report writing, with the scoring replaced by a canned result.


@pytest.fixture
def canned(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A Python project whose scoring returns :func:`sample_result`; returns its path."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "main.py").write_text("x = 1\n")

    async def fake_score(*args: object, **kwargs: object) -> RunResult:
        del args, kwargs
        return sample_result()

    monkeypatch.setattr(cli, "score_project", fake_score)
    return project


def test_one_format_with_output_writes_that_file(
    canned: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "report.json"
    code = cli.main(
        ["score", str(canned), "--format", "json", "--output", str(target), "--no-progress"]
    )
    assert code == 1  # the sample result failed its gate
    assert json.loads(target.read_text())["score"] == 62.5
    assert capsys.readouterr().out == ""


def test_several_formats_write_a_directory_and_terminal_still_prints(
    canned: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reports"
    args = ["score", str(canned), "--format", "terminal", "--format", "sarif", "--format", "junit"]
    code = cli.main([*args, "--output", str(out), "--no-progress"])
    assert code == 1
    assert sorted(p.name for p in out.iterdir()) == ["junit.xml", "result.sarif", "scorecard.txt"]
    assert "Score 62.5/100" in capsys.readouterr().out


def test_single_non_terminal_format_prints_to_stdout(
    canned: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["score", str(canned), "--format", "markdown", "--no-progress"]) == 1
    assert capsys.readouterr().out.startswith("# Scorecard")


def test_passing_result_exits_0(
    canned: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def passing(*args: object, **kwargs: object) -> RunResult:
        del args, kwargs
        return run_result(result("lint.ruff", Status.PASS))

    monkeypatch.setattr(cli, "score_project", passing)
    assert cli.main(["score", str(canned), "--no-progress"]) == 0
    assert "PASSED" in capsys.readouterr().out


def test_unwritable_output_exits_2(
    canned: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a directory is needed")
    args = [
        "score",
        str(canned),
        "--format",
        "json",
        "--format",
        "html",
        "--output",
        str(blocker / "x"),
    ]
    assert cli.main([*args, "--no-progress"]) == 2
    assert "cannot write report" in capsys.readouterr().err


def test_internal_error_is_one_line_exit_3(
    canned: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def broken(*args: object, **kwargs: object) -> RunResult:
        del args, kwargs
        raise ZeroDivisionError("division by zero\nmore")

    monkeypatch.setattr(cli, "score_project", broken)
    assert cli.main(["score", str(canned), "--no-progress"]) == 3
    assert capsys.readouterr().err == "evals: internal error: ZeroDivisionError: division by zero\n"


def test_a_modified_original_project_fails_the_run_loudly(
    canned: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def tampered(*args: object, **kwargs: object) -> RunResult:
        del args, kwargs
        raise ProjectModifiedError(canned, ("src/app/main.py",))

    monkeypatch.setattr(cli, "score_project", tampered)
    assert cli.main(["score", str(canned), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("evals: failed: the original project ")
    assert "src/app/main.py" in err and "cannot be trusted" in err


def test_service_settings_pass_through_from_the_environment() -> None:
    environ = {
        "DATABASE_URL": "postgresql+asyncpg://u@h/db",
        "KAFKA_BOOTSTRAP_SERVERS": "",
        "HOME": "/x",
    }
    assert cli.passthrough_env(environ) == {"DATABASE_URL": "postgresql+asyncpg://u@h/db"}


def test_options_reach_the_runner(
    canned: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: dict[str, object] = {}

    async def spy(project: Path, **kwargs: object) -> RunResult:
        seen.update(kwargs, project=project)
        return sample_result()

    monkeypatch.setattr(cli, "score_project", spy)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    args = ["score", str(canned), "--tier", "toolchain", "--select", "kafka.", "--select", "db"]
    cli.main(
        [*args, "--fail-on-error", "--cache-dir", str(tmp_path), "--timeout", "5", "--no-progress"]
    )
    assert seen["project"] == canned
    assert seen["tier"] is Tier.TOOLCHAIN
    assert seen["select"] == ["kafka.", "db"]
    assert seen["fail_on_error"] is True
    assert seen["cache_dir"] == tmp_path
    assert seen["timeout_s"] == 5.0
    assert seen["env"] == {"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9092"}
