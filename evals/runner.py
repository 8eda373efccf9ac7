"""Run the checks of the checklist on a copy of a project and collect a :class:`RunResult`.

The runner knows nothing about individual checks: it reads the checklist, finds each
item's check in the registry, runs the checks the tier and selection ask for
concurrently (a check waits for the checks it ``requires``), turns every exception into
an ``error`` or ``skip`` outcome, and scores the results.
"""

from __future__ import annotations

import asyncio
import dataclasses
import graphlib
import importlib.metadata
import logging
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from evals import registry
from evals.checklist import Checklist, ChecklistItem, load_checklist
from evals.context import (
    CheckContext,
    FactNotApplicable,
    Facts,
    FactUnavailable,
    RunOptions,
    cancel_and_wait,
)
from evals.contract import Contract
from evals.model import CheckResult, Outcome, RunResult, Status, Tier
from evals.progress import ProgressSink
from evals.registry import CheckSpec
from evals.sandbox import SandboxMode, describe_run, run_sandbox
from evals.scoring import gate_verdict, weighted_score
from evals.workspace import default_cache_dir, is_python_project, workspace
from scripts import definition

LOG = logging.getLogger(__name__)
DISTRIBUTION = "development-backend-python-fastapi"
COMMAND_FILE = definition.SOURCE_PATH
# A check's time budget by the tier of its item; it includes waiting for shared facts
# (a cold install of the project can take minutes).
CHECK_TIMEOUT_S = {Tier.STATIC: 120.0, Tier.TOOLCHAIN: 900.0, Tier.FULL: 2400.0}
CLEANUP_TIMEOUT_S = 60.0
MAX_REASON_CHARS = 300


class RunnerError(Exception):
    """The run cannot start: bad input, a bad selection, or an inconsistent registry."""


class ProjectError(RunnerError):
    """The path to score is missing, not a directory, or not a Python project."""


class SelectionError(RunnerError):
    """A ``--select`` value matches no checklist item, or requirements form a cycle."""


class RegistryMismatchError(RunnerError):
    """Checklist items without a check, or checks without a checklist item."""


def validate_project(project: Path) -> None:
    """Check that ``project`` is an existing directory holding a Python project.

    Raises:
        ProjectError: Saying which of the three conditions does not hold.
    """
    if not project.exists():
        raise ProjectError(f"{project}: no such file or directory")
    if not project.is_dir():
        raise ProjectError(f"{project}: not a directory")
    if not is_python_project(project):
        raise ProjectError(f"{project}: not a Python project (no pyproject.toml, setup.py or .py)")


def verify_registry(checklist: Checklist, checks: Mapping[str, CheckSpec]) -> None:
    """Ensure every item has a check and every check an item.

    Raises:
        RegistryMismatchError: Listing the ids on either side that have no partner.
    """
    item_ids = {item.id for item in checklist.items}
    missing = sorted(item_ids - set(checks))
    orphans = sorted(set(checks) - item_ids)
    problems = []
    if missing:
        problems.append(f"checklist items without a check: {', '.join(missing)}")
    if orphans:
        problems.append(f"checks without a checklist item: {', '.join(orphans)}")
    if problems:
        raise RegistryMismatchError("; ".join(problems))


def matches(item_id: str, selector: str) -> bool:
    """Whether ``selector`` (an id, or a prefix such as ``kafka.`` or ``kafka``) names the item."""
    prefix = selector if selector.endswith(".") else f"{selector}."
    return item_id == selector or item_id.startswith(prefix)


def _requirement_closure(
    chosen: set[str], checks: Mapping[str, CheckSpec], in_tier: set[str]
) -> set[str]:
    """``chosen`` plus, transitively, the in-tier checks they require."""
    closure, pending = set(chosen), list(chosen)
    while pending:
        for required in checks[pending.pop()].requires:
            if required in in_tier and required not in closure:
                closure.add(required)
                pending.append(required)
    return closure


def select_items(
    checklist: Checklist, tier: Tier, select: Sequence[str], checks: Mapping[str, CheckSpec]
) -> tuple[ChecklistItem, ...]:
    """The items a run evaluates, in checklist order.

    Items of the run's tier or below; with ``select``, only those matching a selector plus
    the (in-tier) checks they require.

    Raises:
        SelectionError: If a selector matches no item of the run's tier.
    """
    in_tier = [item for item in checklist.items if item.tier <= tier]
    if not select:
        return tuple(in_tier)
    chosen: set[str] = set()
    for selector in select:
        hits = {item.id for item in in_tier if matches(item.id, selector)}
        if not hits:
            raise SelectionError(
                f"--select {selector!r} matches no item of tier {tier.name.lower()}"
            )
        chosen |= hits
    closure = _requirement_closure(chosen, checks, {item.id for item in in_tier})
    return tuple(item for item in in_tier if item.id in closure)


def command_version(path: Path = COMMAND_FILE) -> str:
    """The command's version, read the one way every tool reads it; ``unknown`` if unreadable.

    The definition's frontmatter is parsed by :func:`scripts.definition.command_version`
    (the source of truth that ``make bump`` and the manifests agree with). An installed
    harness (``pipx run``, a wheel) has no ``commands/`` folder: it reports its
    distribution's version, which ``make bump`` keeps equal. A result must still be written
    when the definition is broken, so that reads as ``unknown``.
    """
    try:
        return definition.command_version(path) if path.exists() else installed_version()
    except (definition.DefinitionError, importlib.metadata.PackageNotFoundError):
        return "unknown"


def installed_version() -> str:
    """The installed harness's distribution version (equal to the command's).

    Raises:
        importlib.metadata.PackageNotFoundError: If the harness is not installed.
    """
    return importlib.metadata.version(DISTRIBUTION)


def one_line(text: str) -> str:
    """The first non-empty line of ``text``, shortened for a report's reason column."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if len(first) > MAX_REASON_CHARS:
        return first[: MAX_REASON_CHARS - 3] + "..."
    return first


def _checked(outcome: object) -> Outcome:
    """Guard against checks that return something other than a well-formed Outcome."""
    if not isinstance(outcome, Outcome):
        return Outcome.errored(f"check returned {type(outcome).__name__}, not an Outcome")
    if outcome.status is not Status.PASS and not outcome.reason.strip():
        reason = f"check reported {outcome.status.value} without a reason"
        return dataclasses.replace(outcome, reason=reason)
    return outcome


async def evaluate(spec: CheckSpec, ctx: CheckContext, timeout_s: float) -> Outcome:
    """Run one check, converting every exception into an outcome.

    ``FactUnavailable`` becomes ``error``, ``FactNotApplicable`` becomes ``skip``, a
    timeout or any other exception becomes ``error`` with a one-line reason.
    """
    try:
        outcome = await asyncio.wait_for(spec.func(ctx), timeout_s)
    except TimeoutError:
        return Outcome.errored(f"check timed out after {timeout_s:g} s")
    except FactUnavailable as exc:
        return Outcome.errored(one_line(str(exc)) or "a fact the check needs is unavailable")
    except FactNotApplicable as exc:
        return Outcome.skipped(one_line(str(exc)) or "not applicable to this project")
    except Exception as exc:
        detail = one_line(str(exc))
        return Outcome.errored(
            f"check crashed: {type(exc).__name__}" + (f": {detail}" if detail else "")
        )
    return _checked(outcome)


async def cancel_pending_facts(facts: Facts) -> None:
    """Stop facts still being computed (e.g. for a check that timed out) before cleaning up."""
    await facts.cancel_pending()


async def run_cleanups(facts: Facts) -> None:
    """Await ``facts.cleanups`` in reverse order; a failing cleanup never stops the others."""
    while facts.cleanups:
        cleanup = facts.cleanups.pop()
        try:
            await asyncio.wait_for(cleanup(), CLEANUP_TIMEOUT_S)
        except Exception as exc:
            LOG.warning("cleanup %r failed: %s", cleanup, one_line(str(exc)) or type(exc).__name__)


class _NullProgress:
    """Progress sink that shows nothing."""

    def start(self, total: int) -> None:
        """Ignore."""

    def check_started(self, item_id: str) -> None:
        """Ignore."""

    def check_finished(self, result: CheckResult) -> None:
        """Ignore."""

    def close(self) -> None:
        """Ignore."""


@dataclasses.dataclass
class Execution:
    """The checks of one run, executed concurrently over shared facts.

    Attributes:
        items: The items to evaluate, in checklist order.
        checks: The registry of checks.
        facts: The run's shared facts.
        progress: Receives start and finish events.
        timeout_s: Per-check timeout overriding :data:`CHECK_TIMEOUT_S`, when set.
    """

    items: tuple[ChecklistItem, ...]
    checks: Mapping[str, CheckSpec]
    facts: Facts
    progress: ProgressSink
    timeout_s: float | None = None
    tasks: dict[str, asyncio.Task[CheckResult]] = dataclasses.field(default_factory=dict)

    def order(self) -> list[ChecklistItem]:
        """The items in an order where every requirement comes before its dependents.

        Raises:
            SelectionError: If the requirements form a cycle.
        """
        by_id = {item.id: item for item in self.items}
        graph = {i: [r for r in self.checks[i].requires if r in by_id] for i in by_id}
        try:
            return [by_id[i] for i in graphlib.TopologicalSorter(graph).static_order()]
        except graphlib.CycleError as exc:
            raise SelectionError(f"checks require each other in a cycle: {exc.args[1]}") from None

    async def run(self) -> tuple[CheckResult, ...]:
        """Run every item, then the facts' cleanups; results in checklist order."""
        ordered = self.order()
        self.progress.start(len(ordered))
        try:
            for item in ordered:
                self.tasks[item.id] = asyncio.create_task(self.run_item(item))
            done = await asyncio.gather(*self.tasks.values())
        finally:
            await cancel_and_wait(self.tasks.values())
            await cancel_pending_facts(self.facts)
            await run_cleanups(self.facts)
            self.progress.close()
        by_id = {result.id: result for result in done}
        return tuple(by_id[item.id] for item in self.items)

    async def blocked_reason(self, item: ChecklistItem) -> str:
        """Why ``item`` must be skipped because of its requirements; empty when it may run."""
        reasons = []
        for required in self.checks[item.id].requires:
            task = self.tasks.get(required)
            if task is None:
                reasons.append(f"requires {required}, which this run does not evaluate")
                continue
            result = await task
            if result.status is not Status.PASS:
                why = f": {result.outcome.reason}" if result.outcome.reason else ""
                reasons.append(f"requires {required}, which is {result.status.value}{why}")
        return "; ".join(reasons)

    async def run_item(self, item: ChecklistItem) -> CheckResult:
        """Evaluate ``item`` (or skip it when a requirement did not pass) and report progress."""
        blocked = await self.blocked_reason(item)
        started = time.monotonic()
        if blocked:
            outcome = Outcome.skipped(blocked)
        else:
            self.progress.check_started(item.id)
            timeout_s = self.timeout_s or CHECK_TIMEOUT_S[item.tier]
            ctx = CheckContext(item, self.facts)
            outcome = await evaluate(self.checks[item.id], ctx, timeout_s)
        duration = round(time.monotonic() - started, 3)
        result = CheckResult(
            item.id, item.title, item.category, item.gate, item.weight, outcome, duration
        )
        self.progress.check_finished(result)
        return result


async def score_project(  # noqa: PLR0913 - the public entry point's documented keywords
    project: Path,
    *,
    tier: Tier = Tier.FULL,
    select: Sequence[str] = (),
    checklist: Checklist | None = None,
    env: Mapping[str, str] | None = None,
    fail_on_error: bool = False,
    cache_dir: Path | None = None,
    progress: ProgressSink | None = None,
    checks: Mapping[str, CheckSpec] | None = None,
    check_timeout_s: float | None = None,
    timeout_s: float | None = None,
    sandbox: SandboxMode = SandboxMode.AUTO,
    contract: Contract | None = None,
) -> RunResult:
    """Score the project at ``project`` against the checklist; the project is never modified.

    Args:
        project: Directory of the project to score; checks run on a temporary copy.
        tier: Deepest tier to run (static, toolchain or full).
        select: Item ids or prefixes to evaluate (plus what they require); all when empty.
        checklist: The checklist; ``evals/checklist.yaml`` when None.
        env: Extra environment for the project's processes (e.g. ``DATABASE_URL``).
        fail_on_error: Whether an ``error`` on a gate item fails the verdict.
        cache_dir: Cache of installed environments; :func:`default_cache_dir` when None.
        progress: Receives progress events; nothing is shown when None.
        checks: The check registry; every module of ``evals.checks`` when None.
        check_timeout_s: One timeout for every check instead of the per-tier defaults.
        timeout_s: Timeout of one project subprocess (e.g. the test run); 600 s when None.
        sandbox: How the project's processes are confined (:class:`SandboxMode`).
        contract: The case contract for the design items; they skip without one.

    Returns:
        The scored result, checks in checklist order.

    Raises:
        RunnerError: If the project, the selection or the registry is invalid.
        SandboxError: If no sandbox can be made and ``sandbox`` is not ``off``.
    """
    options = (tuple(select), dict(env or {}), fail_on_error, cache_dir, check_timeout_s)
    how = RunSettings(tier, *options, timeout_s, sandbox, contract)
    return await run_checks(project, how, checklist=checklist, checks=checks, progress=progress)


@dataclasses.dataclass(frozen=True)
class RunSettings:
    """The options of one run (see :func:`score_project` for their meaning)."""

    tier: Tier = Tier.FULL
    select: tuple[str, ...] = ()
    env: dict[str, str] = dataclasses.field(default_factory=dict)
    fail_on_error: bool = False
    cache_dir: Path | None = None
    check_timeout_s: float | None = None
    timeout_s: float | None = None
    sandbox: SandboxMode = SandboxMode.AUTO
    contract: Contract | None = None

    def options(self, workdir: Path) -> RunOptions:
        """The run options facts see, with the defaults filled in."""
        cache_dir = self.cache_dir or default_cache_dir()
        options = RunOptions(self.tier, workdir, dict(self.env), cache_dir)
        options.sandbox_mode = self.sandbox
        options.contract = self.contract
        if self.timeout_s is not None:
            options.timeout_s = self.timeout_s
        return options


async def run_checks(
    project: Path,
    settings: RunSettings,
    *,
    checklist: Checklist | None = None,
    checks: Mapping[str, CheckSpec] | None = None,
    progress: ProgressSink | None = None,
) -> RunResult:
    """Score ``project`` with ``settings``; the implementation of :func:`score_project`."""
    validate_project(project)
    checklist, checks = _load(checklist, checks)
    items = select_items(checklist, settings.tier, settings.select, checks)
    timing = (_now(), time.monotonic())
    sink = progress if progress is not None else _NullProgress()
    async with workspace(project) as scratch:
        facts = Facts(scratch.project, settings.options(scratch.root))
        user_services = bool(settings.env.keys() & {"DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS"})
        sandbox = describe_run(await run_sandbox(facts), user_services)
        results = await Execution(items, checks, facts, sink, settings.check_timeout_s).run()
    result = _assemble(project, settings, checklist, results, timing)
    return dataclasses.replace(result, sandbox=sandbox)


def _assemble(
    project: Path,
    settings: RunSettings,
    checklist: Checklist,
    results: tuple[CheckResult, ...],
    timing: tuple[str, float],
) -> RunResult:
    """The run's result: scored ``results`` plus provenance; ``timing`` is (start, clock)."""
    started_at, clock = timing
    return RunResult(
        project=str(project),
        tier=settings.tier,
        score=weighted_score(results),
        passed=gate_verdict(results, fail_on_error=settings.fail_on_error),
        checklist_sha256=checklist.sha256,
        command_version=command_version(),
        checks=results,
        started_at=started_at,
        duration_s=round(time.monotonic() - clock, 3),
        case=settings.contract.case if settings.contract else "",
    )


def _now() -> str:
    """The current UTC time in ISO-8601, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def _load(
    checklist: Checklist | None, checks: Mapping[str, CheckSpec] | None
) -> tuple[Checklist, Mapping[str, CheckSpec]]:
    """The checklist and the check registry, defaulting to the real ones, verified to match."""
    if checks is None:
        registry.load_all()
        checks = registry.CHECKS
    if checklist is None:
        checklist = load_checklist()
    verify_registry(checklist, checks)
    return checklist, checks
