"""Full-tier checks on the project's own test suite, run once by the harness.

Both checks read the same :data:`~evals.facts.testrun.TEST_RUN`: pytest under the
harness's coverage configuration, against the run's PostgreSQL and broker. ``tests.pass``
owns the run-time verdict on rewritten reports: a test the harness's own plugin
(:mod:`evals.outcome_recorder`) saw failing fails the item even when pytest's report and
exit status say it passed (``tests.integrity``, a static item, owns the source-level
detection of report-altering hooks).
"""

from __future__ import annotations

from dataclasses import replace

from evals.checks.build import INSTALL_ITEM
from evals.context import CheckContext
from evals.facts.environment import INSTALLED_ENV
from evals.facts.testrun import TEST_RUN, TestRun
from evals.model import Finding, Outcome, Status
from evals.registry import check

MAX_FILE_FINDINGS = 10
TAIL_CHARS = 1500


def run_metrics(run: TestRun) -> dict[str, float | int | str]:
    """The numbers of a test run recorded with both checks."""
    return {
        "tests": run.tests,
        "failures": run.failures,
        "errors": run.errors,
        "skipped": run.skipped,
        "duration_s": run.duration_s,
    }


def tail_finding(run: TestRun) -> Finding:
    """The end of the suite's output as a finding."""
    return Finding(f"pytest output (tail):\n{run.output_tail[-TAIL_CHARS:]}")


def recorder_conflict(run: TestRun) -> str | None:
    """How the harness's own record contradicts pytest's report or exit status, if it does."""
    if run.rewritten:
        return (
            f"{len(run.rewritten)} tests failed in the harness's own record but not in "
            "pytest's report: a hook rewrote their verdict"
        )
    if run.unrecorded:
        return (
            "the suite exited 0 but the harness's outcome recorder left no complete record "
            "(unregistered, shadowed or cut short by the project)"
        )
    status = run.recorded.exitstatus if run.recorded else None
    if run.exit_code == 0 and status not in (None, 0):
        return f"pytest's exit status was {status} at the session's end but the suite exited 0"
    return None


def recorder_outcome(run: TestRun) -> Outcome | None:
    """A failure when the harness's own record contradicts pytest's report, else None."""
    reason = recorder_conflict(run)
    if reason is None:
        return None
    return Outcome.failed(reason, [*run.rewritten, tail_finding(run)], **run_metrics(run))


def suite_outcome(run: TestRun) -> Outcome:
    """The verdict on one test run: it must exit 0 with at least one executed test.

    The harness's own record of outcomes overrides pytest's report when they disagree.
    """
    metrics = run_metrics(run)
    if run.timed_out:
        return Outcome.failed("the test suite timed out", [tail_finding(run)], **metrics)
    overridden = recorder_outcome(run)
    if overridden is not None:
        return overridden
    if run.no_tests_ran:
        return Outcome.failed(
            "no tests ran (pytest collected or executed nothing)", [tail_finding(run)], **metrics
        )
    if run.exit_code != 0 or run.failures or run.errors:
        reason = f"{run.failures} failed, {run.errors} errors (pytest exit {run.exit_code})"
        return Outcome.failed(reason, [*run.failed_tests, tail_finding(run)], **metrics)
    return Outcome.passed(f"{run.executed} tests passed", **metrics)


def with_added_tools(outcome: Outcome, added: tuple[str, ...]) -> Outcome:
    """``outcome`` noting the test tools the harness had to install for the project."""
    if not added:
        return outcome
    note = f"the project does not declare {', '.join(added)}; the harness installed it"
    reason = f"{outcome.reason}; {note}" if outcome.reason else note
    findings = (*outcome.findings, Finding(note, "pyproject.toml"))
    if outcome.status is Status.PASS:
        findings = ()
    return replace(outcome, reason=reason, findings=findings)


@check("tests.pass", requires=(INSTALL_ITEM,))
async def tests_pass(ctx: CheckContext) -> Outcome:
    """The project's tests, run once by the harness against real services, all pass."""
    run = await ctx.fact(TEST_RUN)
    installed = await ctx.fact(INSTALLED_ENV)
    return with_added_tools(suite_outcome(run), installed.added_tools)


def omit_findings(run: TestRun) -> list[Finding]:
    """One note per ``omit`` entry of the project's coverage config (ignored by the harness)."""
    return [
        Finding(f"project coverage omit {entry!r} ignored by the harness")
        for entry in run.project_omit
    ]


def lowest_files(run: TestRun) -> list[Finding]:
    """The least-covered files, as findings pointing at them."""
    ranked = sorted(run.file_coverage.items(), key=lambda item: item[1])
    return [
        Finding(f"{percent:.1f}% covered", path)
        for path, percent in ranked[:MAX_FILE_FINDINGS]
        if percent < 100.0  # noqa: PLR2004 - a full percentage
    ]


def coverage_outcome(run: TestRun, threshold: float) -> Outcome:
    """The verdict on the harness-measured coverage of ``run`` against ``threshold``."""
    notes = omit_findings(run)
    if run.coverage_percent is None:
        why = "the tests timed out" if run.timed_out else "no coverage data was recorded"
        return Outcome.failed(f"coverage not measured: {why}", [*notes, tail_finding(run)])
    percent = round(run.coverage_percent, 2)
    metrics: dict[str, float | int | str] = {"coverage": percent, "omit_ignored": len(notes)}
    if percent < threshold:
        reason = (
            f"coverage {percent:.1f}% is below {threshold:g}% (line + branch, application package)"
        )
        return Outcome.failed(reason, [*lowest_files(run), *notes], **metrics)
    note = f"; {len(notes)} project omit entries ignored" if notes else ""
    return Outcome.passed(f"coverage {percent:.1f}%{note}", **metrics)


@check("tests.coverage", requires=(INSTALL_ITEM,))
async def tests_coverage(ctx: CheckContext) -> Outcome:
    """Line + branch coverage of the application package, measured by the harness, suffices."""
    return coverage_outcome(await ctx.fact(TEST_RUN), ctx.threshold)
