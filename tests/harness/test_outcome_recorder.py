"""The harness's own pytest plugin records real outcomes that a project hook cannot rewrite.

The fast tests run real pytest subprocesses (the harness's own interpreter) on the hostile
``integrity/hidden_flip`` fixture and on small projects written into ``tmp_path``, with the
recorder set up exactly as the test run sets it up (:func:`prepare_recorder`); the slow
one scores the hostile fixture end to end.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from evals.checks.suite import suite_outcome
from evals.facts.outcomes import (
    RecordedRun,
    junit_name,
    parse_record,
    prepare_recorder,
    read_record,
    rewritten_tests,
)
from evals.facts.testrun import TestRun, junit_failing_names
from evals.model import Status, Tier
from evals.runner import score_project
from evals.testing import compute_check
from evals.workspace import copy_project
from tests.harness.fakes import hash_tree

INTEGRITY = Path(__file__).resolve().parents[1] / "fixtures" / "projects" / "integrity"
HIDDEN_FLIP = INTEGRITY / "hidden_flip"
FLIPPED = "tests/test_answer.py::test_arithmetic"


UNITTEST_CASES = """
import unittest


class Case(unittest.TestCase):
    def test_fails(self):
        self.assertEqual(1, 2)

    @unittest.skip("not here")
    def test_skipped(self):
        pass

    @unittest.expectedFailure
    def test_expected(self):
        self.assertEqual(1, 2)

    def test_passes(self):
        pass


def test_skiptest_outside_a_case():
    raise unittest.SkipTest("skipped the unittest way")
"""


def run_recorded(project: Path, tmp_path: Path) -> tuple[RecordedRun | None, set[str], int]:
    """pytest on ``project`` with the recorder loaded first: record, JUnit failures, exit."""
    recorder = prepare_recorder(tmp_path / "work", tmp_path)
    junit = tmp_path / "junit.xml"
    argv = [sys.executable, "-m", "pytest", "-p", recorder.module, "-p", "no:cacheprovider"]
    argv += ["-p", "no:asyncio", "-o", "addopts=", "-o", "junit_family=xunit1", "-q"]
    env = recorder.env({"PATH": "/usr/bin:/bin", "PYTHONPATH": str(project / "src")})
    done = subprocess.run(
        [*argv, f"--junitxml={junit}"], cwd=project, env=env, capture_output=True, check=False
    )
    failing = junit_failing_names(junit.read_text(encoding="utf-8")) if junit.exists() else set()
    return read_record(recorder.outcomes), failing, done.returncode


def write_project(root: Path, files: dict[str, str]) -> Path:
    """A project of ``files`` (relative path to text) under ``root``."""
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_junit_names_follow_pytest() -> None:
    assert junit_name("tests/test_a.py::test_b") == "tests.test_a.test_b"
    assert (
        junit_name("tests/test_a.py::TestC::test_d[x/y.py-1]")
        == "tests.test_a.TestC.test_d[x/y.py-1]"
    )


def test_the_last_run_of_a_phase_counts_and_junk_is_counted() -> None:
    lines = [
        {"nodeid": "t.py::a", "when": "call", "outcome": "failed", "error": "AssertionError"},
        {"nodeid": "t.py::a", "when": "call", "outcome": "passed", "error": ""},  # a rerun
        {"nodeid": "t.py::b", "when": "setup", "outcome": "failed", "error": "RuntimeError"},
        {"session": "finished", "exitstatus": 1},
    ]
    text = "\n".join(json.dumps(line) for line in lines) + "\nnot json\n[1]\n"
    recorded = parse_record(text)
    assert recorded == RecordedRun(True, 1, (("t.py::b", "RuntimeError"),), 2, 2)


def test_a_failure_reported_as_failing_is_no_finding() -> None:
    recorded = RecordedRun(True, 1, (("tests/test_a.py::test_b", "AssertionError"),))
    assert rewritten_tests(recorded, {"tests.test_a.test_b"}) == ()
    (finding,) = rewritten_tests(recorded, {"tests.test_a.test_other"})
    assert finding.path == "tests/test_a.py" and "test_b failed (AssertionError)" in finding.message


def test_hidden_flip_fools_pytest_but_not_the_recorder(tmp_path: Path) -> None:
    project = copy_project(HIDDEN_FLIP, tmp_path / "project")
    recorded, failing, code = run_recorded(project, tmp_path)
    assert code == 0 and not failing  # pytest's own verdict: everything passed
    assert recorded is not None and recorded.finished and recorded.exitstatus == 0
    assert recorded.failed == ((FLIPPED, "AssertionError"),)  # xfail and skip are not failures
    (finding,) = rewritten_tests(recorded, failing)
    assert FLIPPED in finding.message


async def test_hidden_flip_escapes_the_static_detector() -> None:
    outcome = await compute_check("tests.integrity", HIDDEN_FLIP, tier=Tier.STATIC)
    assert outcome.status is Status.PASS, outcome.findings  # only the recorder can see it


def test_an_honest_suite_agrees_with_its_record(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "project",
        {
            "tests/test_x.py": "import pytest\n\n"
            "@pytest.fixture\ndef broken():\n    raise RuntimeError('setup')\n\n"
            "def test_setup_error(broken):\n    pass\n\n"
            "@pytest.mark.parametrize('n', [1, 2])\ndef test_param(n):\n    assert n == 1\n\n"
            "@pytest.mark.xfail(strict=True)\ndef test_xpass():\n    pass\n",
            "tests/test_unit.py": UNITTEST_CASES,
        },
    )
    recorded, failing, code = run_recorded(project, tmp_path)
    assert code == 1 and recorded is not None and recorded.finished
    assert {nodeid for nodeid, _ in recorded.failed} == {
        "tests/test_x.py::test_setup_error",
        "tests/test_x.py::test_param[2]",
        "tests/test_unit.py::Case::test_fails",
    }
    assert rewritten_tests(recorded, failing) == ()


def test_a_project_module_cannot_shadow_the_recorder(tmp_path: Path) -> None:
    first = prepare_recorder(tmp_path / "work", tmp_path)
    second = prepare_recorder(tmp_path / "work", tmp_path)
    assert first.module != second.module and first.outcomes != second.outcomes
    assert [p.name for p in first.directory.iterdir()] == [f"{first.module}.py"]
    assert first.env({"PYTHONPATH": "/p"})["PYTHONPATH"].split(":") == [str(first.directory), "/p"]


def test_an_exit_status_forced_to_0_is_recorded(tmp_path: Path) -> None:
    conftest = "import pytest\n\n@pytest.hookimpl(trylast=True)\n"
    conftest += "def pytest_sessionfinish(session):\n"
    conftest += "    setattr(session, 'exit' + 'status', 0)\n"
    files = {"tests/conftest.py": conftest, "tests/test_z.py": "def test_z():\n    assert 1 == 2\n"}
    project = write_project(tmp_path / "project", files)
    recorded, failing, code = run_recorded(project, tmp_path)
    assert code == 0 and failing == {"tests.test_z.test_z"}  # pytest exits 0 all the same
    assert recorded is not None and recorded.exitstatus == 1
    outcome = suite_outcome(TestRun(exit_code=0, timed_out=False, tests=1, recorded=recorded))
    assert outcome.status is Status.FAIL and "exit status was 1" in outcome.reason


def test_an_unregistered_recorder_fails_a_passing_suite(tmp_path: Path) -> None:
    conftest = (
        "def pytest_configure(config):\n    for p in list(config.pluginmanager.get_plugins()):\n"
    )
    conftest += "        if getattr(p, '__name__', '').startswith('_evals_recorder'):\n"
    conftest += "            config.pluginmanager.unregister(p)\n"
    files = {"tests/conftest.py": conftest, "tests/test_y.py": "def test_y():\n    assert 1 == 2\n"}
    project = write_project(tmp_path / "project", files)
    recorded, _failing, code = run_recorded(project, tmp_path)
    assert code == 1 and (recorded is None or not recorded.finished)
    unrecorded = TestRun(exit_code=0, timed_out=False, tests=1, recorded=recorded)
    outcome = suite_outcome(unrecorded)
    assert outcome.status is Status.FAIL and "no complete record" in outcome.reason


@pytest.mark.slow
@pytest.mark.full
async def test_a_hidden_report_hook_fails_the_gate_naming_the_test(eval_cache_dir: Path) -> None:
    before = hash_tree(HIDDEN_FLIP)
    selected = ["tests.pass", "tests.integrity"]
    result = await score_project(
        HIDDEN_FLIP, tier=Tier.FULL, select=selected, cache_dir=eval_cache_dir
    )
    verdict = result.by_id("tests.pass").outcome
    assert verdict.status is Status.FAIL, verdict.reason
    assert "rewrote their verdict" in verdict.reason
    assert [f.path for f in verdict.findings if FLIPPED in f.message] == ["tests/test_answer.py"]
    assert result.by_id("tests.integrity").status is Status.PASS  # the hook hides from it
    assert not result.passed
    assert hash_tree(HIDDEN_FLIP) == before
