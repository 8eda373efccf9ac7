"""Live progress of a run on stderr: a rich display on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
from typing import Protocol, TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from evals.model import CheckResult, Status

STATUS_STYLES = {
    Status.PASS: "green",
    Status.FAIL: "bold red",
    Status.ERROR: "bold magenta",
    Status.SKIP: "yellow",
}
MAX_RUNNING_SHOWN = 3


class ProgressSink(Protocol):
    """Receives the events of a run; the runner calls it from the event loop."""

    def start(self, total: int) -> None:
        """The run is about to evaluate ``total`` items."""

    def check_started(self, item_id: str) -> None:
        """The check for ``item_id`` started (its requirements are resolved)."""

    def check_finished(self, result: CheckResult) -> None:
        """The check for ``result.id`` finished."""

    def close(self) -> None:
        """The run is over; release the display."""


class PlainProgress:
    """One line per finished check, e.g. ``[  3/49] pass  lint.ruff (1.2s)``."""

    def __init__(self, stream: TextIO) -> None:
        """Write lines to ``stream``."""
        self.stream = stream
        self.total = 0
        self.done = 0

    def start(self, total: int) -> None:
        """Remember the number of items, for the counter."""
        self.total = total

    def check_started(self, item_id: str) -> None:
        """Plain output reports finished checks only."""
        del item_id

    def check_finished(self, result: CheckResult) -> None:
        """Print the counter, status, id and duration of ``result``."""
        self.done += 1
        width = len(str(self.total))
        line = (
            f"[{self.done:>{width}}/{self.total}] {result.status.value:<5} {result.id}"
            f" ({result.duration_s:.1f}s)"
        )
        print(line, file=self.stream, flush=True)

    def close(self) -> None:
        """Nothing to release."""


class LiveProgress:
    """A rich progress bar naming the running checks, with a line per finished check."""

    def __init__(self, console: Console) -> None:
        """Draw on ``console`` (normally stderr)."""
        self.console = console
        self.running: list[str] = []
        self.progress = Progress(
            TextColumn("[bold]scoring[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=console,
            transient=True,
        )
        self.task = self.progress.add_task("", total=None)

    def start(self, total: int) -> None:
        """Show the bar with ``total`` steps."""
        self.progress.update(self.task, total=total)
        self.progress.start()

    def check_started(self, item_id: str) -> None:
        """Add ``item_id`` to the running list shown next to the bar."""
        self.running.append(item_id)
        self._describe()

    def check_finished(self, result: CheckResult) -> None:
        """Advance the bar and print the finished check above it."""
        if result.id in self.running:
            self.running.remove(result.id)
        style = STATUS_STYLES[result.status]
        self.progress.console.print(
            f"[{style}]{result.status.value:<5}[/] {result.id} [dim]({result.duration_s:.1f}s)[/]",
            highlight=False,
        )
        self.progress.advance(self.task)
        self._describe()

    def close(self) -> None:
        """Remove the live display."""
        self.progress.stop()

    def _describe(self) -> None:
        shown = ", ".join(self.running[:MAX_RUNNING_SHOWN])
        more = len(self.running) - MAX_RUNNING_SHOWN
        suffix = f" +{more}" if more > 0 else ""
        self.progress.update(self.task, description=f"[dim]{shown}{suffix}[/]")


def make_progress(stream: TextIO | None = None) -> ProgressSink:
    """Return a live display when ``stream`` (stderr by default) is a terminal, else plain lines."""
    target = stream if stream is not None else sys.stderr
    if target.isatty():
        return LiveProgress(Console(file=target))
    return PlainProgress(target)
