"""The harness's own record of test outcomes, set up for a test run and read back after it.

:func:`prepare_recorder` copies :mod:`evals.outcome_recorder` under a module name drawn
for the run into a fresh directory (mounted read-only in the sandbox), so a file of the
project cannot shadow it; :func:`read_record` parses the JSON lines it wrote and
:func:`rewritten_tests` names the tests it saw failing that pytest's JUnit report shows
passing, skipped or not at all: a hook rewrote their verdict.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from evals import outcome_recorder
from evals.context import FactUnavailable
from evals.model import Finding

PLUGIN_SOURCE = Path(outcome_recorder.__file__)
OUTCOMES_VAR = outcome_recorder.OUTCOMES_VAR


class RecorderError(FactUnavailable):
    """The harness could not set up its outcome recorder for a test run."""


@dataclass(frozen=True)
class Recorder:
    """The outcome recorder of one test run.

    Attributes:
        directory: Holds only the plugin module; first on ``PYTHONPATH``, read-only.
        module: The plugin's module name for ``-p`` (drawn for the run).
        outcomes: The JSON-lines file the plugin appends to (in the writable scratch).
    """

    directory: Path
    module: str
    outcomes: Path

    def env(self, env: dict[str, str]) -> dict[str, str]:
        """``env`` with the plugin importable first and its outcomes file named."""
        path = [str(self.directory), *filter(None, [env.get("PYTHONPATH", "")])]
        return {**env, "PYTHONPATH": os.pathsep.join(path), OUTCOMES_VAR: str(self.outcomes)}


def prepare_recorder(workdir: Path, scratch: Path) -> Recorder:
    """Copy the plugin into ``workdir`` under a fresh name; outcomes go to ``scratch``.

    Raises:
        RecorderError: If the plugin cannot be copied.
    """
    token = secrets.token_hex(8)
    directory = workdir / f"recorder-{token}"
    module = f"_evals_recorder_{token}"
    try:
        directory.mkdir(parents=True)
        shutil.copyfile(PLUGIN_SOURCE, directory / f"{module}.py")
    except OSError as exc:
        raise RecorderError(f"cannot set up the harness's outcome recorder: {exc}") from exc
    return Recorder(directory, module, scratch / f"outcomes-{token}.jsonl")


@dataclass(frozen=True)
class RecordedRun:
    """What the harness's plugin recorded.

    Attributes:
        finished: Whether it recorded the end of the session.
        exitstatus: pytest's exit status as the plugin saw it at the session's end.
        failed: ``(nodeid, exception type)`` of every test whose last run failed in a phase.
        malformed: Lines of the file that are not the plugin's records.
        phases: Test phases recorded.
    """

    finished: bool = False
    exitstatus: int | None = None
    failed: tuple[tuple[str, str], ...] = ()
    malformed: int = 0
    phases: int = 0


def _parse(line: str) -> dict[str, object] | None:
    """One record of the file, or None when the line is not one."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def parse_record(text: str) -> RecordedRun:
    """The run described by the plugin's JSON lines (a rerun's last outcome counts)."""
    last: dict[tuple[str, str], dict[str, object]] = {}
    finished, exitstatus, malformed = False, None, 0
    for line in filter(None, text.splitlines()):
        record = _parse(line)
        if record is None:
            malformed += 1
        elif record.get("session") == "finished":
            finished, status = True, record.get("exitstatus")
            exitstatus = status if isinstance(status, int) else None
        else:
            last[(str(record.get("nodeid")), str(record.get("when")))] = record
    failed = {
        k[0]: str(r.get("error", "")) for k, r in last.items() if r.get("outcome") == "failed"
    }
    return RecordedRun(finished, exitstatus, tuple(failed.items()), malformed, len(last))


def read_record(path: Path) -> RecordedRun | None:
    """The run recorded at ``path``; None when the plugin wrote nothing."""
    try:
        return parse_record(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None


def junit_name(nodeid: str) -> str:
    """The ``classname.name`` pytest's JUnit XML gives the test ``nodeid``."""
    path, bracket, params = nodeid.partition("[")
    names = path.split("::")
    names[0] = re.sub(r"\.py$", "", names[0].replace("/", "."))
    names[-1] += bracket + params
    return ".".join(names)


def rewritten_tests(recorded: RecordedRun, junit_failing: set[str]) -> tuple[Finding, ...]:
    """Tests the plugin saw failing that the JUnit report does not show failing, as findings."""
    return tuple(
        Finding(
            f"test {nodeid} failed ({error or 'error'}) but pytest's report shows it "
            "passing, skipped or absent: a hook rewrote its verdict",
            nodeid.partition("::")[0],
        )
        for nodeid, error in recorded.failed
        if junit_name(nodeid) not in junit_failing
    )
