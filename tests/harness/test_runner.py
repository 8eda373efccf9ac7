"""The runner: selection, requirements, exception handling, timeouts, isolation, cleanups."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from evals import registry
from evals.context import CheckContext, FactNotApplicable, Facts, FactUnavailable
from evals.model import CheckResult, Outcome, Status, Tier
from evals.registry import CheckSpec, FactKey
from evals.runner import (
    COMMAND_FILE,
    ProjectError,
    RegistryMismatchError,
    SelectionError,
    command_version,
    matches,
    score_project,
)
from scripts import definition
from tests.harness.fakes import FAKE_SHA, checklist, hash_tree, item, raising, returning, specs


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A tiny project with a VCS directory, a venv and caches that must not be copied."""
    root = tmp_path / "project"
    (root / "src" / "app").mkdir(parents=True)
    (root / "src" / "app" / "main.py").write_text("app = object()\n")
    (root / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    for junk in (".git/HEAD", ".venv/bin/python", "src/app/__pycache__/main.cpython-311.pyc"):
        (root / junk).parent.mkdir(parents=True, exist_ok=True)
        (root / junk).write_text("junk\n")
    return root


PASS = returning(Outcome.passed())
FAIL = returning(Outcome.failed("not good enough"))


async def test_all_passing_scores_100_in_checklist_order(project: Path) -> None:
    items = checklist(item("b.one"), item("a.two"), item("a.three"))
    result = await score_project(
        project, checklist=items, checks=specs(b__one=PASS, a__two=PASS, a__three=PASS)
    )
    assert [c.id for c in result.checks] == ["b.one", "a.two", "a.three"]
    assert result.score == 100.0
    assert result.passed
    assert result.checklist_sha256 == FAKE_SHA
    assert result.project == str(project)


async def test_failing_gate_fails_verdict_and_lowers_score(project: Path) -> None:
    items = checklist(item("a.one", weight=3), item("a.two"))
    result = await score_project(project, checklist=items, checks=specs(a__one=PASS, a__two=FAIL))
    assert result.score == 75.0
    assert not result.passed
    assert result.by_id("a.two").outcome.reason == "not good enough"


async def test_dependent_of_a_failed_check_is_skipped_with_reason(project: Path) -> None:
    ran: list[str] = []

    async def dependent(ctx: CheckContext) -> Outcome:
        ran.append(ctx.item.id)
        return Outcome.passed()

    checks = {
        "a.base": CheckSpec("a.base", FAIL),
        "a.dependent": CheckSpec("a.dependent", dependent, requires=("a.base",)),
    }
    items = checklist(item("a.base"), item("a.dependent"))
    result = await score_project(project, checklist=items, checks=checks)
    skipped = result.by_id("a.dependent")
    assert skipped.status is Status.SKIP
    assert skipped.outcome.reason == "requires a.base, which is fail: not good enough"
    assert ran == []


async def test_dependent_of_a_passed_check_runs_after_it(project: Path) -> None:
    order: list[str] = []

    def recording(name: str, delay: float) -> CheckSpec:
        async def fake(ctx: CheckContext) -> Outcome:
            del ctx
            await asyncio.sleep(delay)
            order.append(name)
            return Outcome.passed()

        return CheckSpec(name, fake, requires=("a.base",) if name != "a.base" else ())

    checks = {name: recording(name, d) for name, d in (("a.base", 0.1), ("a.after", 0.0))}
    items = checklist(item("a.after"), item("a.base"))
    result = await score_project(project, checklist=items, checks=checks)
    assert order == ["a.base", "a.after"]
    assert all(c.status is Status.PASS for c in result.checks)


async def test_exceptions_become_error_or_skip_with_one_line_reasons(project: Path) -> None:
    checks = specs(
        a__unavailable=raising(FactUnavailable("postgres did not start")),
        a__not_applicable=raising(FactNotApplicable("no Kafka in this project")),
        a__crash=raising(RuntimeError("boom\nTraceback (most recent call last): ...")),
        a__bare=raising(KeyError()),
    )
    items = checklist(*(item(i) for i in checks))
    result = await score_project(project, checklist=items, checks=checks)
    outcomes = {c.id: (c.status, c.outcome.reason) for c in result.checks}
    assert outcomes == {
        "a.unavailable": (Status.ERROR, "postgres did not start"),
        "a.not_applicable": (Status.SKIP, "no Kafka in this project"),
        "a.crash": (Status.ERROR, "check crashed: RuntimeError: boom"),
        "a.bare": (Status.ERROR, "check crashed: KeyError"),
    }
    assert result.passed  # errors do not fail the verdict by default


async def test_fail_on_error_fails_verdict_on_gate_error(project: Path) -> None:
    checks = specs(a__one=raising(FactUnavailable("network unreachable")))
    result = await score_project(
        project, checklist=checklist(item("a.one")), checks=checks, fail_on_error=True
    )
    assert not result.passed


async def test_check_timeout_is_an_error(project: Path) -> None:
    async def slow(ctx: CheckContext) -> Outcome:
        del ctx
        await asyncio.sleep(30)
        return Outcome.passed()

    items = checklist(item("a.slow"), item("a.fast"))
    checks = specs(a__slow=slow, a__fast=PASS)
    started = time.monotonic()
    result = await score_project(project, checklist=items, checks=checks, check_timeout_s=0.3)
    assert time.monotonic() - started < 5
    assert result.by_id("a.slow").status is Status.ERROR
    assert result.by_id("a.slow").outcome.reason == "check timed out after 0.3 s"
    assert result.by_id("a.fast").status is Status.PASS


SLOW: FactKey[int] = FactKey("test_runner_slow_fact")


def never_finishing(states: list[str]) -> Callable[[Facts], Awaitable[int]]:
    """A fact provider that sleeps until cancelled, recording the cancellation."""

    async def slow_fact(facts: Facts) -> int:
        del facts
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            states.append("cancelled")
            raise
        return 1

    return slow_fact


async def waits_for_slow_fact(ctx: CheckContext) -> Outcome:
    value = await ctx.fact(SLOW)
    return Outcome.passed(value=value)


async def test_fact_of_a_timed_out_check_is_cancelled(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    states: list[str] = []
    monkeypatch.setitem(registry.FACTS, SLOW.name, never_finishing(states))
    checks = specs(a__waits=waits_for_slow_fact)
    items = checklist(item("a.waits"))
    result = await score_project(project, checklist=items, checks=checks, check_timeout_s=0.2)
    assert result.by_id("a.waits").status is Status.ERROR
    assert states == ["cancelled"]


async def test_independent_checks_run_concurrently(project: Path) -> None:
    async def nap(ctx: CheckContext) -> Outcome:
        del ctx
        await asyncio.sleep(0.4)
        return Outcome.passed()

    items = checklist(*(item(f"a.nap{i}") for i in range(5)))
    checks = {i.id: CheckSpec(i.id, nap) for i in items.items}
    started = time.monotonic()
    await score_project(project, checklist=items, checks=checks)
    assert time.monotonic() - started < 1.5


SHARED: FactKey[int] = FactKey("test_runner_shared_fact")


def counting_provider(calls: list[str]) -> Callable[[Facts], Awaitable[int]]:
    """A fact provider recording its computation and two cleanups (the second one fails)."""

    async def provider(facts: Facts) -> int:
        calls.append("computed")

        async def first() -> None:
            calls.append("cleanup-1")

        async def second() -> None:
            calls.append("cleanup-2")
            raise RuntimeError("a failing cleanup must not stop the others")

        facts.cleanups += [first, second]
        return 42

    return provider


async def uses_shared_fact(ctx: CheckContext) -> Outcome:
    value = await ctx.fact(SHARED)
    return Outcome.passed(value=value)


async def test_shared_fact_is_computed_once_and_cleanups_run_in_reverse(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    monkeypatch.setitem(registry.FACTS, SHARED.name, counting_provider(calls))
    items = checklist(item("a.one"), item("a.two"), item("a.crash"))
    checks = specs(
        a__one=uses_shared_fact, a__two=uses_shared_fact, a__crash=raising(ValueError("x"))
    )
    result = await score_project(project, checklist=items, checks=checks)
    assert calls == ["computed", "cleanup-2", "cleanup-1"]
    assert result.by_id("a.one").outcome.metrics == {"value": 42}


async def test_original_project_is_byte_identical_and_copy_excludes_junk(project: Path) -> None:
    before = hash_tree(project)
    seen: dict[str, object] = {}

    async def vandal(ctx: CheckContext) -> Outcome:
        seen["root"] = ctx.project
        seen["copied"] = sorted(
            p.relative_to(ctx.project).as_posix() for p in ctx.project.rglob("*")
        )
        (ctx.project / "src" / "app" / "main.py").write_text("clobbered\n")
        (ctx.project / "pyproject.toml").unlink()
        (ctx.project / "new.txt").write_text("new\n")
        return Outcome.passed()

    await score_project(
        project, checklist=checklist(item("a.vandal")), checks=specs(a__vandal=vandal)
    )
    assert hash_tree(project) == before
    assert seen["copied"] == ["pyproject.toml", "src", "src/app", "src/app/main.py"]
    root = seen["root"]
    assert isinstance(root, Path)
    assert not root.parent.exists()  # the workspace is removed after the run


async def test_tier_filters_items(project: Path) -> None:
    items = checklist(
        item("a.static"), item("a.tool", tier=Tier.TOOLCHAIN), item("a.full", tier=Tier.FULL)
    )
    checks = specs(a__static=PASS, a__tool=PASS, a__full=PASS)
    static = await score_project(project, tier=Tier.STATIC, checklist=items, checks=checks)
    toolchain = await score_project(project, tier=Tier.TOOLCHAIN, checklist=items, checks=checks)
    assert [c.id for c in static.checks] == ["a.static"]
    assert [c.id for c in toolchain.checks] == ["a.static", "a.tool"]
    assert static.tier is Tier.STATIC


async def test_select_by_prefix_adds_requirements(project: Path) -> None:
    items = checklist(item("db.base"), item("kafka.one"), item("kafka.two"), item("lint.ruff"))
    checks = specs(db__base=PASS, kafka__two=PASS, lint__ruff=PASS)
    checks["kafka.one"] = CheckSpec("kafka.one", PASS, requires=("db.base",))
    result = await score_project(project, checklist=items, checks=checks, select=["kafka."])
    assert [c.id for c in result.checks] == ["db.base", "kafka.one", "kafka.two"]
    by_name = await score_project(
        project, checklist=items, checks=checks, select=["lint.ruff", "db"]
    )
    assert [c.id for c in by_name.checks] == ["db.base", "lint.ruff"]


async def test_requirement_outside_the_tier_skips_the_dependent(project: Path) -> None:
    items = checklist(item("a.full", tier=Tier.FULL), item("a.static"))
    checks = {
        "a.full": CheckSpec("a.full", PASS),
        "a.static": CheckSpec("a.static", PASS, requires=("a.full",)),
    }
    result = await score_project(project, tier=Tier.STATIC, checklist=items, checks=checks)
    assert result.by_id("a.static").status is Status.SKIP
    assert "which this run does not evaluate" in result.by_id("a.static").outcome.reason


async def test_unknown_selector_is_rejected(project: Path) -> None:
    with pytest.raises(SelectionError, match="matches no item"):
        await score_project(
            project, checklist=checklist(item("a.one")), checks=specs(a__one=PASS), select=["nope"]
        )


async def test_requirement_cycle_is_rejected(project: Path) -> None:
    checks = {
        "a.one": CheckSpec("a.one", PASS, requires=("a.two",)),
        "a.two": CheckSpec("a.two", PASS, requires=("a.one",)),
    }
    with pytest.raises(SelectionError, match="cycle"):
        await score_project(
            project, checklist=checklist(item("a.one"), item("a.two")), checks=checks
        )


async def test_item_without_check_and_check_without_item_are_rejected(project: Path) -> None:
    with pytest.raises(RegistryMismatchError) as caught:
        await score_project(
            project,
            checklist=checklist(item("a.one"), item("a.two")),
            checks=specs(a__two=PASS, a__extra=PASS),
        )
    assert str(caught.value) == (
        "checklist items without a check: a.one; checks without a checklist item: a.extra"
    )


async def test_malformed_outcomes_are_repaired_or_errors(project: Path) -> None:
    async def not_an_outcome(ctx: CheckContext) -> Outcome:
        del ctx
        return "pass"  # type: ignore[return-value]

    checks = specs(a__silent=returning(Outcome(Status.FAIL)), a__wrong=not_an_outcome)
    items = checklist(item("a.silent"), item("a.wrong"))
    result = await score_project(project, checklist=items, checks=checks)
    assert result.by_id("a.silent").outcome.reason == "check reported fail without a reason"
    assert result.by_id("a.wrong").status is Status.ERROR
    assert result.by_id("a.wrong").outcome.reason == "check returned str, not an Outcome"


async def test_progress_receives_every_result(project: Path) -> None:
    events: list[str] = []

    class Recorder:
        def start(self, total: int) -> None:
            events.append(f"start {total}")

        def check_started(self, item_id: str) -> None:
            events.append(f"started {item_id}")

        def check_finished(self, result: CheckResult) -> None:
            events.append(f"finished {result.id} {result.status.value}")

        def close(self) -> None:
            events.append("close")

    await score_project(
        project, checklist=checklist(item("a.one")), checks=specs(a__one=PASS), progress=Recorder()
    )
    assert events == ["start 1", "started a.one", "finished a.one pass", "close"]


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "no such file or directory"),
        ("file", "not a directory"),
        ("empty", "not a Python project"),
    ],
)
async def test_bad_project_paths_are_rejected(tmp_path: Path, setup: str, message: str) -> None:
    target = tmp_path / "target"
    if setup == "file":
        target.write_text("x")
    elif setup == "empty":
        (target / "docs").mkdir(parents=True)
        (target / "docs" / "README.md").write_text("not python\n")
    with pytest.raises(ProjectError, match=message):
        await score_project(target, checklist=checklist(item("a.one")), checks=specs(a__one=PASS))


def test_selector_matching() -> None:
    assert matches("kafka.dlq", "kafka.")
    assert matches("kafka.dlq", "kafka")
    assert matches("kafka.dlq", "kafka.dlq")
    assert not matches("kafkaesque.x", "kafka")
    assert not matches("kafka.dlq", "kafka.dl")


def test_command_version_is_the_definitions(tmp_path: Path) -> None:
    """The runner records the version the definition loader reads (one way to read it)."""
    text = COMMAND_FILE.read_text(encoding="utf-8")
    version = definition.command_version()
    path = tmp_path / "command.md"
    path.write_text(text.replace(f"version: {version}", "version: 9.8.7", 1))
    assert command_version(path) == "9.8.7"
    assert command_version() == version


@pytest.mark.parametrize(
    "text", ["---\nname: x\n---\nversion: 9\n", "no frontmatter\nversion: 3\n", "---\nversion: x\n"]
)
def test_command_version_of_a_broken_definition_is_unknown(tmp_path: Path, text: str) -> None:
    path = tmp_path / "command.md"
    path.write_text(text)
    assert command_version(path) == "unknown"


def test_an_installed_harness_without_the_definition_reports_its_distribution(
    tmp_path: Path,
) -> None:
    assert command_version(tmp_path / "absent.md") == definition.command_version()
