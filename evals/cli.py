"""Command line: ``python -m evals score PATH [options]``.

Exit status: 0 when the gate verdict passed, 1 when it did not, 2 for bad usage or
input or when no sandbox can be made (one line on stderr, never a traceback), 3 when the
harness itself failed, 130 when interrupted, 143 when terminated (SIGTERM). An
interruption or SIGTERM cancels the run in order: the project's processes are killed and
the workspace is removed before the command exits.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from evals.checklist import ChecklistError
from evals.contract import Contract, ContractError, case_contract, load_contract
from evals.model import RunResult, Tier
from evals.progress import ProgressSink, make_progress
from evals.reports import FORMATS
from evals.reports.terminal import render_text
from evals.runner import RunnerError, one_line, score_project
from evals.sandbox import SandboxError, SandboxMode
from evals.workspace import ProjectModifiedError, default_cache_dir

PROG = "python -m evals"
EXIT_PASSED, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
EXIT_TERMINATED = 143
# Services given to the harness are handed to the project instead of embedded ones.
PASSTHROUGH_ENV = ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS")


class UsageError(Exception):
    """The command line is invalid."""


class Terminated(Exception):
    """The harness received SIGTERM; the run was cancelled and cleaned up."""


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
    _add_process_flags(score)
    return parser


def _add_case_flags(score: argparse.ArgumentParser) -> None:
    """``--case NAME`` or ``--contract FILE``: the contract of the design items."""
    case = score.add_mutually_exclusive_group()
    case.add_argument("--case", help="a shipped case (evals/cases/NAME) for the design items")
    case.add_argument("--contract", type=Path, help="a case contract file for the design items")


def _add_process_flags(score: argparse.ArgumentParser) -> None:
    """``--no-progress``, ``--require-sandbox`` or ``--no-sandbox``, and the case flags."""
    score.add_argument("--no-progress", action="store_true", help="no progress on stderr")
    sandbox = score.add_mutually_exclusive_group()
    sandbox.add_argument(
        "--require-sandbox",
        action="store_true",
        help="fail (exit 2) without a sandbox; the default when CI=true",
    )
    sandbox.add_argument(
        "--no-sandbox", action="store_true", help="run the project's processes unconfined"
    )
    _add_case_flags(score)


def sandbox_mode(args: argparse.Namespace, environ: dict[str, str] | None = None) -> SandboxMode:
    """The sandbox mode the flags ask for; ``require`` by default when ``CI=true``."""
    source = os.environ if environ is None else environ
    if args.no_sandbox:
        return SandboxMode.OFF
    if args.require_sandbox or source.get("CI", "").lower() == "true":
        return SandboxMode.REQUIRE
    return SandboxMode.AUTO


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse and cross-check the arguments.

    Raises:
        UsageError: If they are invalid or inconsistent.
    """
    args = build_parser().parse_args(argv)
    args.formats = list(dict.fromkeys(args.formats or ["terminal"]))
    if len(args.formats) > 1 and args.output is None:
        raise UsageError("several --format values need --output DIR")
    args.case_contract = selected_contract(args)
    return args


def selected_contract(args: argparse.Namespace) -> Contract | None:
    """The case contract ``--case`` or ``--contract`` names, loaded and validated.

    Raises:
        UsageError: If it does not exist or is invalid.
    """
    try:
        if args.case:
            return case_contract(args.case)
        return load_contract(args.contract) if args.contract else None
    except ContractError as exc:
        raise UsageError(one_line(str(exc))) from None


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
    """Score as the arguments say; SIGTERM cancels the run (its cleanups run) orderly."""
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    terminated: list[bool] = []

    def terminate() -> None:
        terminated.append(True)
        if task is not None:
            task.cancel()

    loop.add_signal_handler(signal.SIGTERM, terminate)
    try:
        return await _scored(args, progress)
    except asyncio.CancelledError:
        if terminated:
            raise Terminated from None
        raise
    finally:
        loop.remove_signal_handler(signal.SIGTERM)


async def _scored(args: argparse.Namespace, progress: ProgressSink | None) -> RunResult:
    return await score_project(
        args.path,
        tier=Tier.parse(args.tier),
        select=args.select,
        env=passthrough_env(),
        fail_on_error=args.fail_on_error,
        cache_dir=args.cache_dir or default_cache_dir(),
        progress=progress,
        timeout_s=args.timeout,
        sandbox=sandbox_mode(args),
        contract=args.case_contract,
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
    except ProjectModifiedError as exc:
        return _fail(EXIT_FAILED, f"failed: {one_line(str(exc))}")
    except (UsageError, RunnerError, ChecklistError, SandboxError) as exc:
        return _fail(EXIT_USAGE, f"error: {one_line(str(exc))}")
    except KeyboardInterrupt:
        return _fail(EXIT_INTERRUPTED, "interrupted")
    except Terminated:
        return _fail(EXIT_TERMINATED, "terminated")
    return _write(result, args)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m evals`` and ``fastapi-command-eval``; never shows a traceback."""
    try:
        return run(argv)
    except Exception as exc:
        detail = one_line(str(exc))
        return _fail(EXIT_INTERNAL, f"internal error: {type(exc).__name__}: {detail}")
