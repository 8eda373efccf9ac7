"""The project's test suite, run once with harness-measured coverage (full tier).

``tests.pass``, ``tests.coverage`` and any other check that needs test results share
this one run: ``coverage run`` with the harness's rc file (branch coverage of the
application package the layout found; the project's own coverage settings and ``omit``
entries are ignored and reported) around ``pytest`` without the project's ``addopts``,
against a fresh database on the run's PostgreSQL and the run's broker.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from xml.etree import ElementTree

from evals.context import Facts
from evals.facts.environment import INSTALLED_ENV
from evals.facts.layout import LAYOUT
from evals.facts.load_gate import machine_load
from evals.facts.outcomes import (
    RecordedRun,
    Recorder,
    prepare_recorder,
    read_record,
    rewritten_tests,
)
from evals.facts.project_config import INI_CONFIGS, PYPROJECT, IniSections
from evals.facts.services import SERVICES
from evals.model import Finding
from evals.procs import ProcResult, run
from evals.registry import FactKey, provides
from evals.sandbox import Sandbox, project_sandbox

COVERAGE_RC = Path(__file__).resolve().parent.parent / "toolconfig" / "coveragerc"
NO_TESTS_COLLECTED = 5
TAIL_LINES = 40
COUNTED = ("tests", "failures", "errors", "skipped")


@dataclass(frozen=True)
class TestRun:
    """What the project's test suite did under the harness.

    Attributes:
        exit_code: pytest's exit status (through coverage); None when it timed out.
        timed_out: Whether the run was killed for exceeding its time.
        tests: Test cases reported in the JUnit XML.
        failures: Failed test cases.
        errors: Test cases that errored (setup/teardown or collection).
        skipped: Skipped test cases.
        coverage_percent: coverage.py's total (lines and branches) for the package, or None
            when no coverage data was produced.
        file_coverage: Percent covered per measured file (project-relative paths).
        project_omit: ``omit`` entries of the project's own coverage configuration.
        output_tail: The last lines of the run's output.
        truncated: Whether the output exceeded the cap.
        duration_s: Wall-clock time of the run.
        failed_tests: The failing or erroring test cases, located (file and line).
        recorded: What the harness's own plugin recorded (:mod:`evals.outcome_recorder`);
            None when it wrote nothing.
        rewritten: Tests the plugin saw failing that the JUnit report shows passing,
            skipped or not at all.
    """

    __test__: ClassVar[bool] = False  # not a pytest test class, despite the name

    exit_code: int | None
    timed_out: bool
    tests: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0
    coverage_percent: float | None = None
    file_coverage: dict[str, float] = field(default_factory=dict)
    project_omit: tuple[str, ...] = ()
    output_tail: str = ""
    truncated: bool = False
    duration_s: float = 0.0
    failed_tests: tuple[Finding, ...] = ()
    recorded: RecordedRun | None = None
    rewritten: tuple[Finding, ...] = ()

    @property
    def executed(self) -> int:
        """Test cases that ran (not skipped)."""
        return max(self.tests - self.skipped, 0)

    @property
    def unrecorded(self) -> bool:
        """Whether a suite that exited 0 left no complete record of the harness's plugin."""
        complete = self.recorded is not None and self.recorded.finished
        return self.exit_code == 0 and not complete

    @property
    def no_tests_ran(self) -> bool:
        """Whether the suite ran no test at all (pytest exit 5, or nothing executed)."""
        return self.exit_code == NO_TESTS_COLLECTED or (not self.timed_out and not self.executed)


TEST_RUN: FactKey[TestRun] = FactKey("test_run")


def parse_junit(xml_text: str) -> ElementTree.Element:
    """Parse a JUnit XML report.

    Raises:
        ValueError: If the text is not XML.
    """
    try:
        # pytest wrote it in our scratch dir; Python 3.11's expat limits entity expansion.
        return ElementTree.fromstring(xml_text)  # noqa: S314
    except ElementTree.ParseError as exc:
        raise ValueError(f"not a JUnit XML report: {exc}") from None


def _case_finding(case: ElementTree.Element, problem: ElementTree.Element) -> Finding:
    """A finding for one failing test case (pytest's xunit1 adds file and line)."""
    name = ".".join(p for p in (case.get("classname"), case.get("name")) if p)
    detail = (problem.get("message") or "").strip().splitlines()
    message = f"{problem.tag}: {name}" + (f": {detail[0][:200]}" if detail else "")
    line = case.get("line")
    return Finding(message, case.get("file"), int(line) + 1 if line and line.isdigit() else None)


def junit_failures(xml_text: str) -> tuple[Finding, ...]:
    """The failing and erroring test cases of a JUnit XML report, as findings.

    Raises:
        ValueError: If the text is not XML.
    """
    found = []
    for case in parse_junit(xml_text).iter("testcase"):
        for problem in case:
            if problem.tag in ("failure", "error"):
                found.append(_case_finding(case, problem))
    return tuple(found)


def junit_failing_names(xml_text: str) -> set[str]:
    """``classname.name`` of every failing or erroring test case of a JUnit XML report.

    Raises:
        ValueError: If the text is not XML.
    """
    return {
        ".".join(p for p in (case.get("classname"), case.get("name")) if p)
        for case in parse_junit(xml_text).iter("testcase")
        if any(problem.tag in ("failure", "error") for problem in case)
    }


def junit_counts(xml_text: str) -> dict[str, int]:
    """Sum tests/failures/errors/skipped over every ``testsuite`` of a JUnit XML report.

    Raises:
        ValueError: If the text is not a JUnit XML document.
    """
    root = parse_junit(xml_text)
    suites = [root] if root.tag == "testsuite" else root.iter("testsuite")
    totals = dict.fromkeys(COUNTED, 0)
    for suite in suites:
        for key in COUNTED:
            totals[key] += int(suite.get(key, "0") or 0)
    return totals


def coverage_summary(report: dict[str, object]) -> tuple[float | None, dict[str, float]]:
    """Total percent and per-file percents from ``coverage json`` output."""
    totals = report.get("totals")
    total = totals.get("percent_covered") if isinstance(totals, dict) else None
    files = report.get("files")
    per_file: dict[str, float] = {}
    if isinstance(files, dict):
        for name, data in files.items():
            summary = data.get("summary", {}) if isinstance(data, dict) else {}
            per_file[str(name)] = float(summary.get("percent_covered", 0.0))
    return (float(total) if isinstance(total, int | float) else None), per_file


def _omit_value(value: object) -> list[str]:
    """``omit`` as a list, from a TOML list or an INI multi-line/comma string."""
    if isinstance(value, list):
        return [str(v) for v in value]
    text = str(value or "")
    return [p.strip() for p in text.replace(",", "\n").splitlines() if p.strip()]


def _omits(sections: Mapping[str, Mapping[str, object]], names: tuple[str, ...]) -> list[str]:
    """``omit`` entries of the named sections (TOML tables or INI sections)."""
    return [e for name in names for e in _omit_value(sections.get(name, {}).get("omit"))]


async def project_omit(facts: Facts) -> tuple[str, ...]:
    """Every ``omit`` entry of the project's own coverage configuration (to be reported)."""
    pyproject = (await facts.get(PYPROJECT)).data
    tool = pyproject.get("tool", {}) if isinstance(pyproject, dict) else {}
    entries = _omits(tool.get("coverage", {}), ("run", "report"))
    ini: dict[str, IniSections] = await facts.get(INI_CONFIGS)
    entries += _omits(ini.get(".coveragerc", {}), ("run", "report"))
    for name in ("setup.cfg", "tox.ini"):
        entries += _omits(ini.get(name, {}), ("coverage:run", "coverage:report"))
    return tuple(entries)


def _read_json(path: Path) -> dict[str, object]:
    """Parse a JSON file; a missing or malformed file reads as empty."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@dataclass(frozen=True)
class _Results:
    """What the run left: JUnit counts and failures, the plugin's record, their conflicts."""

    counts: dict[str, int]
    failed: tuple[Finding, ...] = ()
    recorded: RecordedRun | None = None
    rewritten: tuple[Finding, ...] = ()

    def fields(self) -> dict[str, Any]:
        """The :class:`TestRun` fields these results fill."""
        found = {"failed_tests": self.failed, "recorded": self.recorded}
        return {**self.counts, **found, "rewritten": self.rewritten}


def _read_results(junit: Path, recorder: Recorder) -> _Results:
    """The JUnit report's counts and failures (none when unreadable), checked by the record."""
    recorded = read_record(recorder.outcomes)
    try:
        text = junit.read_text(encoding="utf-8", errors="replace")
        counts, failed = junit_counts(text), junit_failures(text)
        failing = junit_failing_names(text)
    except (OSError, ValueError):
        counts, failed, failing = dict.fromkeys(COUNTED, 0), (), set()
    rewritten = rewritten_tests(recorded, failing) if recorded else ()
    return _Results(counts, failed, recorded, rewritten)


async def _test_env(facts: Facts) -> dict[str, str]:
    """The environment of the test run: installed env, services, a fresh database."""
    installed = await facts.get(INSTALLED_ENV)
    services = await facts.get(SERVICES)
    env = {**installed.env, **services.env}
    env["DATABASE_URL"] = await services.fresh_database("tests")
    for name in ("PYTEST_ADDOPTS", "COVERAGE_PROCESS_START", "COVERAGE_RCFILE"):
        env.pop(name, None)
    return env


async def _sandbox(facts: Facts, scratch: Path) -> Sandbox:
    """The test run's sandbox: the project and ``scratch`` writable, the services reachable."""
    services = await facts.get(SERVICES)
    return services.confine(await project_sandbox(facts, scratch))


async def _run_suite(
    facts: Facts, scratch: Path, env: dict[str, str], recorder: Recorder
) -> ProcResult:
    """``coverage run ... -m pytest`` in the project copy, in the sandbox, recorder first."""
    python = str((await facts.get(INSTALLED_ENV)).python)
    source = (await facts.get(LAYOUT)).package_dir or "."
    argv = [python, "-m", "coverage", "run", f"--rcfile={COVERAGE_RC}", f"--source={source}"]
    argv += ["-m", "pytest", "-p", recorder.module]
    argv += ["-o", "addopts=", "-o", "junit_family=xunit1", "-p", "no:cacheprovider", "-q"]
    argv += [f"--junitxml={scratch / 'junit.xml'}"]
    sandbox = (await _sandbox(facts, scratch)).allowing(readable=[recorder.directory])
    timeout_s = facts.options.timeout_s
    env = recorder.env(env)
    async with machine_load(facts):
        return await run(argv, cwd=facts.project, env=env, timeout_s=timeout_s, sandbox=sandbox)


async def _coverage_json(facts: Facts, scratch: Path, env: dict[str, str]) -> dict[str, object]:
    """``coverage json`` of the run's data file; empty when there is no data."""
    python = str((await facts.get(INSTALLED_ENV)).python)
    out = scratch / "coverage.json"
    argv = [python, "-m", "coverage", "json", f"--rcfile={COVERAGE_RC}", "-o", str(out), "-q"]
    await run(
        argv, cwd=facts.project, env=env, timeout_s=120, sandbox=await _sandbox(facts, scratch)
    )
    return await asyncio.to_thread(_read_json, out)


def _prepare_scratch(workdir: Path, scratch: Path) -> Recorder:
    """Create the run's scratch directory and set up the outcome recorder.

    Raises:
        RecorderError: If the recorder cannot be set up.
    """
    scratch.mkdir(parents=True, exist_ok=True)
    return prepare_recorder(workdir, scratch)


@provides(TEST_RUN)
async def run_tests(facts: Facts) -> TestRun:
    """Run the project's tests once with harness coverage and collect the results.

    Raises:
        InstallError: If the project could not be installed.
        ServiceError: If PostgreSQL or the broker could not be provided.
        RecorderError: If the harness's outcome recorder could not be set up.
    """
    scratch = facts.options.workdir / "testrun"
    recorder = await asyncio.to_thread(_prepare_scratch, facts.options.workdir, scratch)
    env = {**await _test_env(facts), "COVERAGE_FILE": str(scratch / ".coverage")}
    result = await _run_suite(facts, scratch, env, recorder)
    found = await asyncio.to_thread(_read_results, scratch / "junit.xml", recorder)
    total, per_file = coverage_summary(await _coverage_json(facts, scratch, env))
    return TestRun(
        exit_code=result.returncode,
        timed_out=result.timed_out,
        **found.fields(),
        coverage_percent=total,
        file_coverage=per_file,
        project_omit=await project_omit(facts),
        output_tail=result.tail(TAIL_LINES),
        truncated=result.truncated,
        duration_s=round(result.duration_s, 3),
    )
