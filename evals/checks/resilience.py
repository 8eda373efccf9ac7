"""Resilience: break the broker and the processes of a running service, count what is lost.

Each item runs one experiment of :mod:`evals.facts.resilience_runs` or
:mod:`evals.facts.resilience_consumer` on the resilience stack (one at a time, never while
the load test measures) and reports its counts in ``metrics`` and in the reason. Without a
case contract, or one without a resilience section, the items skip and say so; without a
consumed topic, so does ``resilience.consumer_crash``.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from evals.checks.build import INSTALL_ITEM
from evals.context import CheckContext
from evals.facts.resilience_consumer import consumer_crash, graceful_shutdown
from evals.facts.resilience_lab import RESILIENCE_LAB, Lab
from evals.facts.resilience_runs import Verdict, broker_outage, publisher_crash
from evals.model import Finding, Outcome, Status
from evals.registry import check

Experiment = Callable[[Lab], Awaitable[Verdict]]


def verdict_outcome(verdict: Verdict, lab: Lab) -> Outcome:
    """PASS with the counts, or FAIL with the problems, the counts and the processes' logs."""
    notes = [Finding(note) for note in verdict.notes]
    if not verdict.problems:
        return Outcome(Status.PASS, verdict.summary(), tuple(notes), verdict.metrics)
    findings = [Finding(problem) for problem in verdict.problems]
    logs = Finding(f"process output (last lines):\n{lab.stack.logs()}")
    reason = f"{verdict.problems[0]} ({verdict.summary()})"
    return Outcome.failed(reason, [*findings, *notes, logs], **verdict.metrics)


async def run_experiment(ctx: CheckContext, experiment: Experiment) -> Outcome:
    """Run ``experiment`` alone on the resilience stack, outside any load measurement."""
    lab = await ctx.fact(RESILIENCE_LAB)
    async with lab.lock, lab.stack.server.gate.shared():
        started = time.monotonic()
        verdict = await experiment(lab)
        verdict.metrics["experiment_s"] = round(time.monotonic() - started, 1)
    return verdict_outcome(verdict, lab)


@check("resilience.broker_outage", requires=(INSTALL_ITEM,))
async def resilience_broker_outage(ctx: CheckContext) -> Outcome:
    """Writes during a broker outage all reach the topic once it is back."""
    return await run_experiment(ctx, broker_outage)


@check("resilience.publisher_crash", requires=(INSTALL_ITEM,))
async def resilience_publisher_crash(ctx: CheckContext) -> Outcome:
    """Killing the publisher during a backlog loses no event."""
    return await run_experiment(ctx, publisher_crash)


@check("resilience.consumer_crash", requires=(INSTALL_ITEM,))
async def resilience_consumer_crash(ctx: CheckContext) -> Outcome:
    """A consumer killed mid-stream applies every event once and parks poison."""
    return await run_experiment(ctx, consumer_crash)


@check("resilience.graceful_shutdown", requires=(INSTALL_ITEM,))
async def resilience_graceful_shutdown(ctx: CheckContext) -> Outcome:
    """SIGTERM stops each process in time without losing work in flight."""
    return await run_experiment(ctx, graceful_shutdown)
