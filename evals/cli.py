"""Command line: ``python -m evals score PATH [options]``.

Exit status: 0 when the gate verdict passed, 1 when it did not, 2 for bad usage or
input (one line on stderr, never a traceback), 3 when the harness itself failed,
130 when interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from evals.checklist import ChecklistError
from evals.model import RunResult, Tier
from evals.progress import ProgressSink, make_progress
from evals.reports import FORMATS
from evals.reports.terminal import render_text
from evals.runner import RunnerError, one_line, score_project
from evals.workspace import default_cache_dir

PROG = "python -m evals"
EXIT_PASSED, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
# Services given to the harness are handed to the project instead of embedded ones.
PASSTHROUGH_ENV = ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS")


class UsageError(Exception):
    """The command line is invalid."""


class _Parser(argparse.ArgumentParser):
    """An argument parser that raises instead of printing usage and exiting."""

    def error(self, message: str) -> NoReturn:
        """Raise :class:`UsageError` with argparse's message."""
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    """The parser of the ``score`` command."""
    parser = _Parser(prog=PROG, description="Score a generated FastAPI project.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    score = commands.add_parser("score", help="score a project against evals/checklist.yaml")
    score.add_argument("path", type=Path, help="directory of the project to score")
    score.add_argument("--tier", choices=[t.name.lower() for t in Tier], default="full")
    score.add_argument(
        "--format", action="append", choices=list(FORMATS), dest="formats", help="repeatable"
    )
    score.add_argument("--output", type=Path, help="file (one format) or directory (several)")
    score.add_argument(
        "--select", action="append", default=[], metavar="ID_OR_PREFIX", help="repeatable"
    )
    score.add_argument("--fail-on-error", action="store_true", help="gate errors fail the verdict")
    score.add_argument("--cache-dir", type=Path, help="cache of installed environments")
    score.add_argument(
        "--timeout", type=float, metavar="SECONDS", help="timeout of one project subprocess"
    )
    score.add_argument("--no-progress", action="store_true", help="no progress on stderr")
    return parser


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse and cross-check the arguments.

    Raises:
        UsageError: If they are invalid or inconsistent.
    """
    args = build_parser().parse_args(argv)
    args.formats = list(dict.fromkeys(args.formats or ["terminal"]))
    if len(args.formats) > 1 and args.output is None:
        raise UsageError("several --format values need --output DIR")
    return args


def passthrough_env(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The service settings of the harness's environment that the project should use."""
    source = os.environ if environ is None else environ
    return {name: source[name] for name in PASSTHROUGH_ENV if source.get(name)}


def _destination(output: Path, format_name: str, several: bool) -> Path:
    """Where one format is written: ``output`` itself, or a file inside the directory."""
    if several or output.is_dir():
        return output / FORMATS[format_name].filename
    return output


def write_reports(result: RunResult, formats: list[str], output: Path | None) -> None:
    """Print the terminal scorecard to stdout and write or print the other formats.

    Raises:
        OSError: If a report cannot be written.
    """
    if "terminal" in formats:
        sys.stdout.write(render_text(result, color=sys.stdout.isatty()))
    if output is None:
        for name in (f for f in formats if f != "terminal"):
            sys.stdout.write(FORMATS[name].render(result))
        return
    several = len(formats) > 1
    if several:
        output.mkdir(parents=True, exist_ok=True)
    for name in formats:
        target = _destination(output, name, several)
        target.write_text(FORMATS[name].render(result), encoding="utf-8")


async def _score(args: argparse.Namespace, progress: ProgressSink | None) -> RunResult:
    return await score_project(
        args.path,
        tier=Tier.parse(args.tier),
        select=args.select,
        env=passthrough_env(),
        fail_on_error=args.fail_on_error,
        cache_dir=args.cache_dir or default_cache_dir(),
        progress=progress,
        timeout_s=args.timeout,
    )


def _fail(code: int, message: str) -> int:
    print(f"evals: {message}", file=sys.stderr)
    return code


def _write(result: RunResult, args: argparse.Namespace) -> int:
    """Write the reports of ``result``; return the exit status."""
    try:
        write_reports(result, args.formats, args.output)
    except OSError as exc:
        return _fail(EXIT_USAGE, f"error: cannot write report: {one_line(str(exc))}")
    return EXIT_PASSED if result.passed else EXIT_FAILED


def run(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, score the project, write the reports; return the exit status."""
    try:
        args = parse_args(argv)
        progress = None if args.no_progress else make_progress()
        result = asyncio.run(_score(args, progress))
    except (UsageError, RunnerError, ChecklistError) as exc:
        return _fail(EXIT_USAGE, f"error: {one_line(str(exc))}")
    except KeyboardInterrupt:
        return _fail(EXIT_INTERRUPTED, "interrupted")
    return _write(result, args)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m evals`` and ``fastapi-command-eval``; never shows a traceback."""
    try:
        return run(argv)
    except Exception as exc:
        detail = one_line(str(exc))
        return _fail(EXIT_INTERNAL, f"internal error: {type(exc).__name__}: {detail}")
