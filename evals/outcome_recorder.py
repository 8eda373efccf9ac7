"""The harness's own pytest plugin: each test's outcome as the runner produced it.

The test run (:mod:`evals.facts.testrun`) copies this file under a module name drawn
for the run into a directory the sandbox mounts read-only, puts that directory first on
``PYTHONPATH`` and loads it first with ``-p``. It needs only the standard library and
pytest, and never imports the harness.

A hook wrapper around ``pytest_runtest_makereport`` (outermost but for wrappers that are
``tryfirst`` too and registered later) reads ``call.excinfo`` itself before the inner
hooks build the report, so a project hook that rewrites or replaces the report object
does not change what is recorded (a unittest ``TestCase``'s failure, which pytest keeps on
the item until its own report hook, is read there). ``pytest_sessionfinish`` records
pytest's exit status.
Every record is one JSON line appended to the file named by ``EVALS_OUTCOMES_FILE``
(read when the plugin is imported, before any project code runs): a path in the run's
scratch directory with a name the project cannot guess beforehand.

This is detection, not isolation: the plugin runs in the same process as the project's
``conftest.py`` files, which can read the variable, unregister the plugin, patch it or
write to its file. The harness treats a missing or incomplete record of a suite that
exits 0 as a finding, and compares the records with pytest's JUnit XML report.
"""

from __future__ import annotations

import json
import os
import unittest
from collections.abc import Generator
from typing import IO, Any

import pytest

OUTCOMES_VAR = "EVALS_OUTCOMES_FILE"
_TARGET = os.environ.get(OUTCOMES_VAR, "")
_STREAMS: list[IO[str]] = []


def _write(record: dict[str, object]) -> None:
    """Append ``record`` as one JSON line to the outcomes file (nothing without one)."""
    if not _TARGET:
        return
    if not _STREAMS:
        _STREAMS.append(open(_TARGET, "a", encoding="utf-8"))  # noqa: SIM115 - kept open
    _STREAMS[0].write(json.dumps(record) + "\n")
    _STREAMS[0].flush()


def _expected_failure(item: pytest.Item, excinfo: pytest.ExceptionInfo[BaseException]) -> bool:
    """Whether an exception is the expected failure of the item's ``xfail`` mark."""
    try:
        from _pytest.skipping import xfailed_key  # noqa: PLC0415 - pytest internals

        xfailed = item.stash.get(xfailed_key, None)
    except (ImportError, AttributeError):
        return item.get_closest_marker("xfail") is not None
    if xfailed is None or item.config.option.runxfail:
        return False
    raises = xfailed.raises
    return raises is None or (isinstance(raises, type | tuple) and excinfo.errisinstance(raises))


def exception_of(
    item: pytest.Item, call: pytest.CallInfo[Any]
) -> pytest.ExceptionInfo[BaseException] | None:
    """The phase's exception: the call's own, else a unittest case's pending one.

    pytest's unittest support keeps a ``TestCase``'s failure on the item (``_excinfo``)
    and moves it into ``call`` in its own ``pytest_runtest_makereport``, after this one.
    """
    if call.excinfo is not None:
        return call.excinfo
    pending = getattr(item, "_excinfo", None)
    return pending[0] if isinstance(pending, list) and pending else None


def classify(item: pytest.Item, excinfo: pytest.ExceptionInfo[BaseException] | None) -> str:
    """``passed``, ``skipped``, ``xfailed`` or ``failed``, from the phase's own exception."""
    if excinfo is None:
        return "passed"
    skips = (pytest.skip.Exception, unittest.SkipTest)  # pytest reports both as skipped
    if excinfo.errisinstance(skips):
        return "skipped"
    if excinfo.errisinstance(pytest.xfail.Exception) or _expected_failure(item, excinfo):
        return "xfailed"
    return "failed"


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[Any]
) -> Generator[None, Any, None]:
    """Record the phase's outcome before any inner hook builds (or rewrites) the report."""
    excinfo = exception_of(item, call)
    outcome = classify(item, excinfo)
    error = type(excinfo.value).__name__ if excinfo is not None else ""
    _write({"nodeid": item.nodeid, "when": call.when, "outcome": outcome, "error": error})
    yield


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> Generator[None, Any, None]:
    """Record pytest's own exit status before the project's session hooks run."""
    _write({"session": "finished", "exitstatus": int(exitstatus)})
    yield
