"""Checks of the project's own files: README, pre-commit, Makefile and Poetry configuration."""

from __future__ import annotations

import asyncio
import os
import re
from typing import Any

from evals.context import CheckContext, FactUnavailable
from evals.evaluation_contract import EVALUATION
from evals.facts.project_config import (
    MAKEFILE,
    POETRY_LOCK,
    PRECOMMIT,
    PYPROJECT,
    README,
    UV_LOCK,
    ConfigDocument,
    Readme,
)
from evals.model import Finding, Outcome
from evals.procs import ProcResult, run
from evals.registry import check
from evals.sandbox import project_sandbox

README_SECTIONS = {
    "setup/installation": re.compile(
        r"setup|set up|install|getting started|quick ?start|prerequisite", re.I
    ),
    "usage": re.compile(r"usage|running|\brun\b|how to use|quick ?start|\bapi\b|endpoints", re.I),
    "configuration": re.compile(r"config|environment|settings|\benv\b", re.I),
    "testing": re.compile(r"test", re.I),
    "deployment": re.compile(r"deploy|production|release|docker|kubernetes", re.I),
}
PRECOMMIT_HOOKS = {
    "ruff": re.compile(r"ruff", re.I),
    "black": re.compile(r"black", re.I),
    "mypy": re.compile(r"mypy", re.I),
}
MAKE_TARGETS = EVALUATION.make_targets
MAKE_DRY_RUN_TIMEOUT_S = 15.0
# Variables through which a parent make would leak its flags into ``make -n``.
MAKE_ENV_BLOCKLIST = frozenset({"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "MAKEFILES"})


def readme_findings(readme: Readme) -> list[Finding]:
    """One finding per required README section without a matching heading, and for no diagram."""
    if not readme.exists:
        return [Finding("no README.md", path=readme.path)]
    findings = [
        Finding(f"no {section} section (no heading matches)", path=readme.path)
        for section, pattern in README_SECTIONS.items()
        if not any(pattern.search(heading.text) for heading in readme.headings)
    ]
    if readme.diagram_line is None:
        message = "no architecture diagram (Mermaid block or image)"
        findings.append(Finding(message, path=readme.path))
    return findings


@check("docs.readme")
async def readme_sections(ctx: CheckContext) -> Outcome:
    """README.md has setup, usage, configuration, testing and deployment sections and a diagram."""
    readme = await ctx.fact(README)
    findings = readme_findings(readme)
    return Outcome.from_findings(findings, "README shortcomings", headings=len(readme.headings))


def unparsed_findings(document: ConfigDocument) -> list[Finding]:
    """A finding when ``document`` is missing or does not parse; empty when it is usable."""
    if not document.exists:
        return [Finding(f"{document.path} not found", path=document.path)]
    if document.error is not None:
        return [Finding(document.error, path=document.path, line=document.error_line)]
    return []


def precommit_hooks(document: ConfigDocument) -> list[tuple[str, int | None]]:
    """``(hook id or entry, line)`` of every hook of a parsed pre-commit configuration."""
    repos = document.data.get("repos") if isinstance(document.data, dict) else None
    hooks: list[tuple[str, int | None]] = []
    for r, repo in enumerate(repos if isinstance(repos, list) else []):
        entries = repo.get("hooks") if isinstance(repo, dict) else None
        for h, hook in enumerate(entries if isinstance(entries, list) else []):
            if isinstance(hook, dict):
                text = f"{hook.get('id', '')} {hook.get('entry', '')}"
                hooks.append((text, document.line_of("repos", str(r), "hooks", str(h))))
    return hooks


@check("precommit.config")
async def precommit_config(ctx: CheckContext) -> Outcome:
    """``.pre-commit-config.yaml`` parses and has ruff, black and mypy hooks."""
    document = await ctx.fact(PRECOMMIT)
    findings = unparsed_findings(document)
    if not findings:
        hooks = precommit_hooks(document)
        findings = [
            Finding(f"no {tool} hook", path=document.path, line=document.line_of("repos"))
            for tool, pattern in PRECOMMIT_HOOKS.items()
            if not any(pattern.search(text) for text, _ in hooks)
        ]
    return Outcome.from_findings(findings, "pre-commit problems")


def make_environment(extra: dict[str, str]) -> dict[str, str]:
    """The environment for ``make -n``: PATH and a locale plus the run's; nothing else of ours.

    The harness's own variables (tokens, a parent make's flags) never reach the project.
    """
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    env.update({k: v for k, v in extra.items() if k not in MAKE_ENV_BLOCKLIST})
    return env


async def dry_run(ctx: CheckContext, makefile: str, target: str) -> ProcResult:
    """``make -n TARGET`` in the project copy, with a short timeout.

    Raises:
        FactUnavailable: If ``make`` is not installed.
    """
    argv = ["make", "--no-print-directory", "-n", "-f", makefile, target]
    env = make_environment(ctx.facts.options.env)
    sandbox = await project_sandbox(ctx.facts)  # `make -n` still runs $(shell ...) and + lines
    try:
        return await run(
            argv, cwd=ctx.project, env=env, timeout_s=MAKE_DRY_RUN_TIMEOUT_S, sandbox=sandbox
        )
    except FileNotFoundError:
        raise FactUnavailable("`make` is not installed; cannot dry-run the targets") from None


def dry_run_finding(result: ProcResult, target: str, path: str, line: int) -> Finding | None:
    """A finding when ``make -n TARGET`` failed or timed out."""
    if result.ok:
        return None
    if result.timed_out:
        why = f"timed out after {MAKE_DRY_RUN_TIMEOUT_S:g} s"
    else:
        why = f"exit {result.returncode}: {result.tail(3)}"
    return Finding(f"`make -n {target}` failed ({why})", path=path, line=line)


@check("make.targets")
async def make_targets(ctx: CheckContext) -> Outcome:
    """The Makefile defines the nine standard targets and ``make -n`` succeeds for each."""
    makefile = await ctx.fact(MAKEFILE)
    if not makefile.exists:
        return Outcome.failed("no Makefile", [Finding("Makefile not found", path="Makefile")])
    missing = [t for t in MAKE_TARGETS if t not in makefile.targets]
    findings = [Finding(f"target {t!r} not defined", path=makefile.path) for t in missing]
    present = [t for t in MAKE_TARGETS if t in makefile.targets]
    results = await asyncio.gather(*(dry_run(ctx, makefile.path, t) for t in present))
    for target, result in zip(present, results, strict=True):
        line = makefile.targets[target]
        finding = dry_run_finding(result, target, makefile.path, line)
        findings += [finding] if finding else []
    return Outcome.from_findings(findings, "Makefile target problems", targets=len(present))


def _table(data: object, *keys: str) -> dict[str, Any]:
    """The nested TOML table at ``keys`` (empty when absent or not a table)."""
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, dict) else {}


def metadata_findings(document: ConfigDocument) -> list[Finding]:
    """Findings for a pyproject without a name or a version in [project] or [tool.poetry]."""
    project, poetry = _table(document.data, "project"), _table(document.data, "tool", "poetry")
    if not project and not poetry:
        return [Finding("neither [project] nor [tool.poetry]", path=document.path)]
    dynamic = project.get("dynamic", [])
    return [
        Finding(f"no {key} in [project] or [tool.poetry]", path=document.path)
        for key in ("name", "version")
        if key not in project and not (key in poetry and (key in dynamic or not project))
    ]


def lock_findings(document: ConfigDocument) -> list[Finding]:
    """Findings for a missing or invalid ``poetry.lock``."""
    findings = unparsed_findings(document)
    if not findings and not _table(document.data, "metadata"):
        message = "poetry.lock has no [metadata] table (not a Poetry lock file)"
        findings.append(Finding(message, path=document.path))
    return findings


def uv_lock_findings(document: ConfigDocument) -> list[Finding]:
    """Findings for a ``uv.lock`` that does not parse or locks no package."""
    findings = unparsed_findings(document)
    if not findings and not isinstance(document.data.get("package"), list):
        findings.append(Finding("uv.lock locks no [[package]]", path=document.path))
    return findings


@check("build.poetry")
async def poetry_configuration(ctx: CheckContext) -> Outcome:
    """pyproject.toml declares name and version, and a lock file is committed and parses.

    The lock is Poetry's ``poetry.lock``; a project locked with uv instead (``uv.lock``)
    has the same property, reproducible installs, and passes with that noted.
    """
    pyproject = await ctx.fact(PYPROJECT)
    findings = unparsed_findings(pyproject) or metadata_findings(pyproject)
    poetry = await ctx.fact(POETRY_LOCK)
    uv = await ctx.fact(UV_LOCK)
    if poetry.exists or not uv.exists:
        findings += lock_findings(poetry)
        return Outcome.from_findings(findings, "Poetry configuration problems")
    findings += uv_lock_findings(uv)
    if findings:
        return Outcome.failed(f"{len(findings)} uv configuration problems", findings)
    return Outcome.passed("locked with uv (uv.lock) rather than Poetry")
