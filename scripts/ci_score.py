"""Score a project in GitHub Actions: the logic of ``action.yml``, runnable locally.

Usage::

    python -m scripts.ci_score --path PATH [--tier static|toolchain|full] [--case NAME]
        [--fail-on-error true|false] [--formats "terminal junit"] [--sarif true|false]
        [--output DIR] [--defer-exit]

Runs ``python -m evals score`` on PATH (relative to ``$GITHUB_WORKSPACE``) with the reports in
DIR (default ``$RUNNER_TEMP/fastapi-command-eval``); ``json`` and ``markdown`` are always
written, ``sarif`` too when ``--sarif true``. Then it appends ``summary.md`` to
``$GITHUB_STEP_SUMMARY`` and writes the step outputs to ``$GITHUB_OUTPUT``: ``score`` and
``passed`` (read from ``result.json``), ``report-dir``, ``sarif-file`` and ``exit-code``.
Without those variables the summary and outputs go to stdout.

Exit status: the harness's, which follows the verdict (0 passed, 1 not passed; 2 bad usage or
input, 3 harness failure). With ``--defer-exit`` it exits 0 and leaves the status in the
``exit-code`` output, so that the action's later steps (SARIF upload) run before the
verdict step exits with it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from scripts.definition import REPO_ROOT

REQUIRED_FORMATS = ("json", "markdown")
FILENAMES = {"json": "result.json", "markdown": "summary.md", "sarif": "result.sarif"}
TRUE_WORDS = ("true", "1", "yes", "on")
FALSE_WORDS = ("false", "0", "no", "off", "")
EXIT_NO_RESULT = 3
# Workflow command files: only this script writes them. Tools the harness runs would write
# there too (black appends is_formatted=... to $GITHUB_OUTPUT).
WORKFLOW_FILES = (
    "GITHUB_OUTPUT",
    "GITHUB_STEP_SUMMARY",
    "GITHUB_ENV",
    "GITHUB_PATH",
    "GITHUB_STATE",
)


class CiError(Exception):
    """An input is invalid (exit status 2)."""


def parse_flag(value: str, name: str) -> bool:
    """Return the boolean an action input spells (``true``/``false``, ``1``/``0``, ...).

    Raises:
        CiError: If ``value`` is not one of the accepted words.
    """
    word = value.strip().lower()
    if word in TRUE_WORDS or word in FALSE_WORDS:
        return word in TRUE_WORDS
    raise CiError(f"{name} must be true or false, not {value!r}")


def report_formats(formats: str, sarif: bool) -> list[str]:
    """Return the ``--format`` values: the requested ones plus json, markdown (and sarif)."""
    requested = [name for name in re.split(r"[\s,]+", formats) if name]
    needed = [*REQUIRED_FORMATS, *(["sarif"] if sarif else [])]
    return list(dict.fromkeys([*requested, *needed]))


def resolve(path: str, env: Mapping[str, str]) -> Path:
    """Return ``path`` made absolute against ``$GITHUB_WORKSPACE`` (else the current directory)."""
    base = Path(env.get("GITHUB_WORKSPACE") or Path.cwd())
    return (base / path.strip()).resolve()


def default_output(env: Mapping[str, str]) -> Path:
    """Return the default report directory, under ``$RUNNER_TEMP`` when it is set."""
    return Path(env.get("RUNNER_TEMP") or tempfile.gettempdir()) / "fastapi-command-eval"


def harness_argv(args: argparse.Namespace, project: Path, output: Path) -> list[str]:
    """Return the ``python -m evals score`` command line for the parsed action inputs."""
    argv = [sys.executable, "-m", "evals", "score", str(project), "--tier", args.tier]
    for name in report_formats(args.formats, parse_flag(args.sarif, "sarif")):
        argv += ["--format", name]
    argv += ["--output", str(output), "--no-progress"]
    if parse_flag(args.fail_on_error, "fail-on-error"):
        argv.append("--fail-on-error")
    if args.case.strip():
        argv += ["--case", args.case.strip()]
    return argv


def read_verdict(output: Path) -> tuple[str, bool] | None:
    """Return the score (``"87.5"``) and the verdict from ``result.json``, None without one."""
    try:
        document = json.loads((output / FILENAMES["json"]).read_text(encoding="utf-8"))
        return f"{float(document['score']):g}", bool(document["passed"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def step_outputs(output: Path, code: int, sarif: bool) -> tuple[dict[str, str], int]:
    """Return the step outputs and the exit status, which follows the verdict in the report."""
    verdict = read_verdict(output)
    if verdict is None and code in (0, 1):
        code = EXIT_NO_RESULT  # the harness said it scored, but left no readable result
    if verdict is not None and code in (0, 1):
        code = 0 if verdict[1] else 1
    sarif_file = output / FILENAMES["sarif"]
    return {
        "score": verdict[0] if verdict else "",
        "passed": "true" if verdict and verdict[1] else "false",
        "report-dir": str(output),
        "sarif-file": str(sarif_file) if sarif and sarif_file.is_file() else "",
        "exit-code": str(code),
    }, code


def _append(env: Mapping[str, str], variable: str, text: str) -> None:
    target = env.get(variable)
    if not target:
        sys.stdout.write(text)
        return
    with Path(target).open("a", encoding="utf-8") as stream:
        stream.write(text)


def publish(env: Mapping[str, str], outputs: Mapping[str, str]) -> None:
    """Append ``summary.md`` (or why there is none) to the step summary; write the outputs."""
    summary = Path(outputs["report-dir"]) / FILENAMES["markdown"]
    if summary.is_file():
        text = summary.read_text(encoding="utf-8")
    else:
        text = f"**Scoring failed** (exit status {outputs['exit-code']}); see the job log.\n"
    _append(env, "GITHUB_STEP_SUMMARY", text.rstrip("\n") + "\n")
    _append(env, "GITHUB_OUTPUT", "".join(f"{key}={value}\n" for key, value in outputs.items()))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m scripts.ci_score", description=__doc__)
    parser.add_argument("--path", default=".", help="project, relative to $GITHUB_WORKSPACE")
    parser.add_argument("--tier", default="full", help="static, toolchain or full")
    parser.add_argument("--case", default="", help="passed as --case when non-empty")
    parser.add_argument("--fail-on-error", default="false", help="true or false")
    parser.add_argument("--formats", default="terminal", help="more report formats")
    parser.add_argument("--sarif", default="false", help="true: also write result.sarif")
    parser.add_argument("--output", default="", help="report directory")
    parser.add_argument("--defer-exit", action="store_true", help="exit 0, status in exit-code")
    return parser


def harness_env(env: Mapping[str, str]) -> dict[str, str]:
    """Return ``env`` without the workflow command files, for the harness and its tools."""
    return {name: value for name, value in env.items() if name not in WORKFLOW_FILES}


def clear_reports(output: Path) -> None:
    """Remove reports a previous run left in ``output``, so none is taken for this run's."""
    for name in FILENAMES.values():
        (output / name).unlink(missing_ok=True)


def run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    """Score as the inputs say, publish the summary and outputs; return the exit status.

    Raises:
        CiError: If an input is invalid.
    """
    output = resolve(args.output, env) if args.output.strip() else default_output(env)
    argv = harness_argv(args, resolve(args.path, env), output)
    clear_reports(output)
    print(f"$ {' '.join(argv[1:])}", flush=True)
    scored = subprocess.run(argv, cwd=REPO_ROOT, env=harness_env(env), check=False)  # noqa: S603
    outputs, code = step_outputs(output, scored.returncode, parse_flag(args.sarif, "sarif"))
    publish(env, outputs)
    return 0 if args.defer_exit else code


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; an invalid input is one line on stderr and exit status 2."""
    args = _parser().parse_args(argv)
    try:
        return run(args, os.environ)
    except CiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
