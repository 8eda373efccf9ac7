"""Unit tests of tests.integrity: report-altering pytest hooks and links leaving the project.

Each case writes a tiny project into tmp_path: a conftest.py (or a plugin module) and the
verdict it must produce.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from evals.facts.pytest_hooks import addopts_plugins
from evals.model import Outcome, Status, Tier
from evals.runner import score_project
from evals.testing import compute_check
from tests.harness.fakes import hash_tree

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "projects" / "integrity"

MAKEREPORT = """
import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    report.outcome = "passed"
"""
TESTSTATUS = """
def pytest_report_teststatus(report, config):
    return "passed", ".", "PASSED"
"""
LOGREPORT_MUTATES = """
def pytest_runtest_logreport(report):
    if report.failed:
        report.outcome = "passed"
"""
LOGREPORT_SETATTR = """
def pytest_runtest_logreport(report):
    setattr(report, "outcome", "passed")
"""
DESELECT = """
def pytest_collection_modifyitems(config, items):
    failing = [item for item in items if "fail" in item.name]
    config.hook.pytest_deselected(items=failing)
"""
CLEAR = """
def pytest_collection_modifyitems(items):
    items.clear()
"""
SLICE_ASSIGN = """
def pytest_collection_modifyitems(items):
    items[:] = [item for item in items if "fail" not in item.name]
"""
DELETE = """
def pytest_collection_modifyitems(items):
    del items[1:]
"""
REMOVE_ALIAS = """
def pytest_collection_modifyitems(items):
    selected = items
    for item in list(selected):
        if "fail" in item.name:
            selected.remove(item)
"""
SKIP_MARKER = """
import pytest


def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.skip(reason="later"))
"""
EXITSTATUS = """
def pytest_sessionfinish(session, exitstatus):
    session.exitstatus = 0
"""
OS_EXIT = """
import os


def pytest_sessionfinish(session):
    os._exit(0)
"""
STATS = """
def pytest_terminal_summary(terminalreporter):
    terminalreporter.stats.pop("failed", None)
"""
PLUGIN_CLASS = """
class Flipper:
    def pytest_runtest_makereport(self, item, call):
        return None


def pytest_configure(config):
    config.pluginmanager.register(Flipper())
"""
SPECNAME = """
import pytest


@pytest.hookimpl(specname="pytest_report_teststatus")
def harmless_looking(report):
    return "passed", ".", "PASSED"
"""
DYNAMIC = """
def flip(report):
    return "passed", ".", "PASSED"


globals()["pytest_report_" + "teststatus"] = flip
globals()["pytest_report_teststatus"] = flip
"""
IMPORTED = """
from tests.support.hooks import pytest_runtest_makereport
"""
PATCHED_REPORT = """
from _pytest.reports import TestReport

TestReport.failed = property(lambda self: False)
"""
PATCHED_BY_NAME = """
import pytest


def pytest_configure(config):
    patcher = pytest.MonkeyPatch()
    patcher.setattr("_pytest.runner.check_interactive_exception", lambda *args: False)
"""
REORDER = """
import pytest


def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: item.name)
    items[:] = sorted(items, key=lambda item: "integration" in item.keywords)
    for item in items:
        item.add_marker(pytest.mark.integration)
"""
HARMLESS = """
import pytest
from _pytest.fixtures import FixtureRequest


class Counter:
    def __init__(self):
        self.failed = 0

    def pytest_runtest_logreport(self, report):
        if report.failed:
            self.failed += 1


def pytest_sessionfinish(session, exitstatus):
    print("finished with", exitstatus)


def pytest_terminal_summary(terminalreporter):
    failed = terminalreporter.stats.get("failed", [])
    terminalreporter.write_line(f"{len(failed)} failed")


@pytest.fixture
def value(request: FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(request, "param", 1, raising=False)
    monkeypatch.setattr("os.sep", "/")
    return 1
"""
FAILING = [
    ("makereport", MAKEREPORT, 6),
    ("teststatus", TESTSTATUS, 2),
    ("logreport assigns", LOGREPORT_MUTATES, 4),
    ("logreport setattr", LOGREPORT_SETATTR, 3),
    ("deselected", DESELECT, 4),
    ("items.clear", CLEAR, 3),
    ("items[:] filtered", SLICE_ASSIGN, 3),
    ("del items", DELETE, 3),
    ("remove through an alias", REMOVE_ALIAS, 6),
    ("skip marker", SKIP_MARKER, 7),
    ("exitstatus", EXITSTATUS, 3),
    ("os._exit", OS_EXIT, 6),
    ("stats edited", STATS, 3),
    ("plugin class", PLUGIN_CLASS, 3),
    ("specname", SPECNAME, 6),
    ("dynamic definition", DYNAMIC, 7),
    ("imported hook", IMPORTED, 2),
    ("pytest patched", PATCHED_REPORT, 4),
    ("pytest patched by name", PATCHED_BY_NAME, 7),
]


def write_project(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (relative path: text, dedented) under ``root`` with a pyproject."""
    files = {"pyproject.toml": "[project]\nname = 'x'\nversion = '0'\n", **files}
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


async def integrity(project: Path) -> Outcome:
    """The tests.integrity outcome of ``project``."""
    return await compute_check("tests.integrity", project, tier=Tier.STATIC)


@pytest.mark.parametrize(
    ("source", "line"), [(s, n) for _, s, n in FAILING], ids=[f[0] for f in FAILING]
)
async def test_report_altering_hook_fails(tmp_path: Path, source: str, line: int) -> None:
    outcome = await integrity(write_project(tmp_path, {"tests/conftest.py": source}))
    assert outcome.status is Status.FAIL, outcome.reason
    assert ("tests/conftest.py", line) in {(f.path, f.line) for f in outcome.findings}


@pytest.mark.parametrize("source", [REORDER, HARMLESS], ids=["reorder and markers", "harmless"])
async def test_hooks_that_only_reorder_or_observe_pass(tmp_path: Path, source: str) -> None:
    outcome = await integrity(write_project(tmp_path, {"tests/conftest.py": source}))
    assert outcome.status is Status.PASS, outcome.findings


async def test_a_hook_in_a_plugin_named_by_pytest_plugins_is_found(tmp_path: Path) -> None:
    files = {
        "tests/conftest.py": 'pytest_plugins = ["build.verdict"]\n',
        "build/verdict.py": TESTSTATUS,
    }
    outcome = await integrity(write_project(tmp_path, files))
    assert outcome.status is Status.FAIL
    assert [(f.path, f.line) for f in outcome.findings] == [("build/verdict.py", 2)]
    assert outcome.metrics["declared_plugins"] == 1


async def test_a_plugin_named_by_addopts_in_pytest_ini_is_found(tmp_path: Path) -> None:
    files = {"pytest.ini": "[pytest]\naddopts = -q -p dist.flip\n", "dist/flip.py": MAKEREPORT}
    outcome = await integrity(write_project(tmp_path, files))
    assert [f.path for f in outcome.findings] == ["dist/flip.py"]


async def test_a_hook_in_an_undeclared_build_directory_is_found(tmp_path: Path) -> None:
    outcome = await integrity(write_project(tmp_path, {"build/lib/hooks.py": TESTSTATUS}))
    assert [(f.path, f.line) for f in outcome.findings] == [("build/lib/hooks.py", 2)]


async def test_an_unparsable_conftest_cannot_be_trusted(tmp_path: Path) -> None:
    outcome = await integrity(write_project(tmp_path, {"tests/conftest.py": "def broken(:\n"}))
    assert outcome.status is Status.FAIL
    assert outcome.findings[0].path == "tests/conftest.py"


def test_addopts_plugins_are_read_in_every_spelling() -> None:
    assert addopts_plugins("-p one -ptwo -p no:cacheprovider --strict-markers") == ["one", "two"]
    assert addopts_plugins(["-p", "three", "-x"]) == ["three"]
    assert addopts_plugins("-p 'unbalanced") == ["'unbalanced"]  # no crash on bad quoting


async def test_links_leaving_the_project_are_findings(tmp_path: Path) -> None:
    secret = tmp_path / "credentials"
    secret.write_text("token = hunter2\n")
    project = write_project(tmp_path / "project", {"src/app/__init__.py": ""})
    (project / "src" / "app" / "settings.py").symlink_to(secret)
    (project / "everything").symlink_to("/")
    (project / "src" / "app" / "ghost.py").symlink_to("nowhere.py")
    (project / "src" / "app" / "alias.py").symlink_to("__init__.py")
    outcome = await integrity(project)
    assert outcome.status is Status.FAIL
    paths = sorted(f.path or "" for f in outcome.findings)
    assert paths == ["everything", "src/app/ghost.py", "src/app/settings.py"]
    assert not any("hunter2" in f.message for f in outcome.findings)
    assert outcome.metrics["escaping_links"] == len(paths)


@pytest.mark.slow
async def test_a_dangling_python_link_is_the_projects_finding_not_a_mypy_error(
    tmp_path: Path, eval_cache_dir: Path
) -> None:
    project = Path(shutil.copytree(FIXTURES / "clean", tmp_path / "project", symlinks=True))
    (project / "src" / "app" / "ghost.py").symlink_to("missing.py")
    selected = ["types.mypy", "tests.integrity"]
    result = await score_project(
        project, tier=Tier.TOOLCHAIN, select=selected, cache_dir=eval_cache_dir
    )
    mypy = result.by_id("types.mypy")
    assert mypy.status is Status.PASS, (mypy.outcome.reason, mypy.outcome.findings)
    integrity = result.by_id("tests.integrity").outcome
    assert integrity.status is Status.FAIL
    assert [(f.path, f.message) for f in integrity.findings] == [
        ("src/app/ghost.py", "symbolic link dangling: -> missing.py")
    ]
    assert not result.passed


@pytest.mark.slow
@pytest.mark.full
async def test_a_conftest_that_flips_failures_does_not_get_a_passing_verdict(
    eval_cache_dir: Path,
) -> None:
    project = FIXTURES / "flipped_verdict"
    before = hash_tree(project)
    selected = ["tests.pass", "tests.integrity"]
    result = await score_project(project, tier=Tier.FULL, select=selected, cache_dir=eval_cache_dir)
    integrity = result.by_id("tests.integrity").outcome
    assert integrity.status is Status.FAIL, integrity.reason
    assert ("tests/conftest.py", 10) in {(f.path, f.line) for f in integrity.findings}
    assert not result.passed
    assert hash_tree(project) == before
