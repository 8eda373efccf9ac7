"""Progress display: plain lines off a terminal, a live display on one."""

from __future__ import annotations

import io

from rich.console import Console

from evals.model import Status
from evals.progress import LiveProgress, PlainProgress, make_progress
from tests.harness.fakes import result


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_lines_count_status_id_and_duration() -> None:
    stream = io.StringIO()
    progress = PlainProgress(stream)
    progress.start(49)
    progress.check_started("lint.ruff")
    for _ in range(3):
        progress.check_finished(result("lint.ruff", Status.PASS))
    progress.check_finished(result("types.mypy", Status.ERROR))
    progress.close()
    lines = stream.getvalue().splitlines()
    assert lines[2] == "[ 3/49] pass  lint.ruff (0.2s)"
    assert lines[3] == "[ 4/49] error types.mypy (0.2s)"


def test_make_progress_picks_plain_lines_off_a_terminal() -> None:
    assert isinstance(make_progress(io.StringIO()), PlainProgress)
    assert isinstance(make_progress(_Tty()), LiveProgress)


def test_live_progress_prints_finished_checks() -> None:
    stream = _Tty()
    progress = LiveProgress(Console(file=stream, force_terminal=True, width=100))
    progress.start(2)
    progress.check_started("lint.ruff")
    progress.check_started("types.mypy")
    progress.check_finished(result("lint.ruff", Status.FAIL))
    progress.close()
    assert "lint.ruff" in stream.getvalue()
    assert progress.running == ["types.mypy"]
