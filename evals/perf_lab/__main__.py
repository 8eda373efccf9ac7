"""``python -m evals.perf_lab``: measure the variants and print the Markdown table.

Run ``python -m evals.perf_lab --help`` for the options; the defaults (every variant, 64
connections, 4 rounds of 2 s) take about 5 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import sys
from pathlib import Path

from evals.perf.calibrate import DEFAULT_CONNECTIONS, Settings
from evals.perf.loadgen import PYTHON, WRK, generator_name
from evals.perf_lab.report import Context, render
from evals.perf_lab.runner import drop_workdir, make_lab, now, run_experiment
from evals.perf_lab.variants import VARIANTS, select

DEFAULT_ROUNDS = 4
DEFAULT_DURATION_S = 2.0
DEFAULT_WARMUP_S = 1.0
MIN_ROUNDS = 2


# fmt: off
def _measurement_options(parse: argparse.ArgumentParser) -> None:
    """How long and how hard each variant is measured."""
    parse.add_argument("--duration", type=float, default=DEFAULT_DURATION_S,
                       help="seconds per measured segment (whole seconds with wrk)")
    parse.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS,
                       help=f"rounds of bare app then variant, per variant (>= {MIN_ROUNDS})")
    parse.add_argument("--connections", type=int, default=DEFAULT_CONNECTIONS)
    parse.add_argument("--warmup", type=float, default=DEFAULT_WARMUP_S,
                       help="seconds of warm-up of each app before a variant's rounds")
    parse.add_argument("--generator", choices=(WRK, PYTHON), default=None,
                       help="load generator (default: wrk when on PATH, else python)")


def parser() -> argparse.ArgumentParser:
    """The command-line options."""
    parse = argparse.ArgumentParser(prog="python -m evals.perf_lab", description=__doc__)
    _measurement_options(parse)
    parse.add_argument("--variants", default="",
                       help="comma-separated variant names (the baseline is always measured)")
    parse.add_argument("--output", type=Path, help="also write the Markdown table here")
    parse.add_argument("--keep", type=Path, help="keep the scratch directory (logs) under here")
    parse.add_argument("--list", action="store_true", help="list the variants and exit")
    return parse
# fmt: on


def settings_of(args: argparse.Namespace) -> Settings:
    """The calibration settings chosen on the command line."""
    return Settings(
        connections=args.connections, duration_s=args.duration, warmup_s=args.warmup,
        rounds=max(MIN_ROUNDS, args.rounds),
    )  # fmt: skip


def progress(line: str) -> None:
    """Print a progress line on stderr."""
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


async def experiment(args: argparse.Namespace, command: str) -> str:
    """Run the experiment chosen by ``args``; the Markdown report."""
    variants = select([name for name in args.variants.split(",") if name])
    generator = args.generator or generator_name()
    lab = make_lab(generator, settings_of(args), args.keep)
    context = Context(now(), os.cpu_count() or 1, os.getloadavg(), (0.0, 0.0, 0.0),
                      generator, lab.settings, command)  # fmt: skip
    try:
        rows, context.notes = await run_experiment(variants, lab, progress)
    finally:
        if args.keep is None:
            drop_workdir(lab)
    context.load_after = os.getloadavg()
    return render(rows, context)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (see the module docstring)."""
    args = parser().parse_args(argv)
    if args.list:
        sys.stdout.writelines(f"{v.name}: {v.change}\n" for v in VARIANTS)
        return 0
    command = shlex.join(
        ["python", "-m", "evals.perf_lab", *(sys.argv[1:] if argv is None else argv)]
    )
    report = asyncio.run(experiment(args, command))
    sys.stdout.write(report)
    if args.output is not None:
        args.output.write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
