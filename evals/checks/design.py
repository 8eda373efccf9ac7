"""Design conformance: the service does what its tech design says, with the broker in the loop.

All four items read one run of the case contract's scenarios
(:mod:`evals.facts.scenarios`); each scenario is reported by the item the contract names as
its owner, and ``design.endpoints`` judges the endpoints from the calls every scenario
made. Without a case contract (``--case``/``--contract``) the items skip and say so.
"""

from __future__ import annotations

from evals.checks.build import INSTALL_ITEM
from evals.context import CheckContext
from evals.contract import Endpoint
from evals.facts.design_stack import NO_CONTRACT
from evals.facts.inferred_contract import INFERRED_CASE
from evals.facts.scenarios import SCENARIO_RUN, Call, ScenarioResult, ScenarioRun
from evals.model import Finding, Outcome, Status
from evals.registry import check

INFERRED_NOTE = (
    "no case contract: the write and the topics were inferred from the project's settings "
    "and OpenAPI document; only that the write reaches a topic was judged"
)


def scenario_finding(result: ScenarioResult) -> Finding:
    """The failing step of ``result`` as a finding."""
    failure = result.failure
    assert failure is not None  # noqa: S101 - only failed results are reported
    return Finding(
        f"{result.scenario.name}: step {failure.index} ({failure.kind}): {failure.detail}"
    )


def stack_notes(run: ScenarioRun) -> list[Finding]:
    """The stack's notes (no Procfile, a process that exited) as findings."""
    notes = [Finding(note) for note in run.stack.notes]
    if run.prefix:
        notes.append(Finding(f"the design's paths are served under the prefix {run.prefix}"))
    return notes


def scenarios_outcome(run: ScenarioRun, item_id: str) -> Outcome:
    """Pass when every scenario ``item_id`` owns passed; the failing steps otherwise."""
    owned = run.owned_by(item_id)
    if not owned:
        return Outcome.skipped(f"the case contract has no scenario for {item_id}")
    failed = [r for r in owned if not r.passed]
    metrics: dict[str, float | int | str] = {
        "scenarios": len(owned),
        "failed": len(failed),
        "seconds": round(sum(r.duration_s for r in owned), 1),
    }
    inferred = run.stack.contract.case == INFERRED_CASE
    shown = failed or inferred or item_id == "design.scenarios"
    notes = [*([Finding(INFERRED_NOTE)] if inferred else []), *(stack_notes(run) if shown else [])]
    if not failed:
        return Outcome(Status.PASS, "", tuple(notes), metrics)
    findings = [scenario_finding(r) for r in failed]
    reason = f"{len(failed)} of {len(owned)} scenarios failed; first: {findings[0].message}"
    logs = Finding(f"process output (last lines):\n{run.stack.logs()}")
    return Outcome.failed(reason, [*findings, *notes, logs], **metrics)


@check("design.scenarios", requires=(INSTALL_ITEM,))
async def design_scenarios(ctx: CheckContext) -> Outcome:
    """The contract's functional scenarios pass against the running service."""
    if ctx.facts.options.contract is None:
        return Outcome.skipped(NO_CONTRACT)
    return scenarios_outcome(await ctx.fact(SCENARIO_RUN), "design.scenarios")


@check("kafka.publish_runtime", requires=(INSTALL_ITEM,))
async def publish_runtime(ctx: CheckContext) -> Outcome:
    """A state change through the API puts its event on the topic, keyed and enveloped.

    Without a case contract the scenario is inferred from the project's settings and OpenAPI
    document (:mod:`evals.facts.inferred_contract`): a write must reach one of its topics.
    """
    return scenarios_outcome(await ctx.fact(SCENARIO_RUN), "kafka.publish_runtime")


@check("kafka.consume_runtime", requires=(INSTALL_ITEM,))
async def consume_runtime(ctx: CheckContext) -> Outcome:
    """Consumed events take effect once; poison messages reach the dead-letter topic."""
    if ctx.facts.options.contract is None:
        return Outcome.skipped(f"{NO_CONTRACT} (the events to consume come from the design)")
    return scenarios_outcome(await ctx.fact(SCENARIO_RUN), "kafka.consume_runtime")


def reaches(call: Call, endpoint: Endpoint) -> bool:
    """Whether ``call`` was made to ``endpoint``: same method, same path shape.

    A parameter of the endpoint (``{}``) takes any one segment, so a call the contract
    writes with a literal id (``/items/BOLT-1``, for a design whose ids are SKUs) counts
    as much as one written with a captured value (``/items/${sku}``).
    """
    have, want = call.template.split("/"), endpoint.template.split("/")
    same_shape = len(have) == len(want) and call.method == endpoint.method
    return same_shape and all(w in ("{}", h) for h, w in zip(have, want, strict=True))


def endpoint_finding(endpoint: Endpoint, calls: list[Call]) -> Finding | None:
    """Why ``endpoint`` is not served as designed, or None when a call got its success."""
    mine = [c for c in calls if reaches(c, endpoint)]
    if any(c.status == endpoint.success for c in mine):
        return None
    if not mine:
        return Finding(f"{endpoint.label}: no scenario reached it (an earlier step failed)")
    seen = ", ".join(sorted({str(c.status or "no answer") for c in mine}))
    return Finding(f"{endpoint.label}: answered {seen}, never {endpoint.success}")


def undocumented(run: ScenarioRun) -> list[Finding]:
    """Design endpoints missing from the live OpenAPI document."""
    wanted = [e for e in run.stack.contract.endpoints if e.openapi]
    return [
        Finding(f"{e.label}: not in /openapi.json")
        for e in wanted
        if run.served and run.prefix + e.template not in run.served
    ]


@check("design.endpoints", requires=(INSTALL_ITEM,))
async def design_endpoints(ctx: CheckContext) -> Outcome:
    """Every endpoint of the contract answers its success status to a scenario's call."""
    if ctx.facts.options.contract is None:
        return Outcome.skipped(NO_CONTRACT)
    run = await ctx.fact(SCENARIO_RUN)
    endpoints = run.stack.contract.endpoints
    findings = [f for e in endpoints if (f := endpoint_finding(e, list(run.calls)))]
    findings += undocumented(run)
    return Outcome.from_findings(
        findings, "design endpoints not served as designed", endpoints=len(endpoints)
    )
