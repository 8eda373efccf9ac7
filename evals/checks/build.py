"""The project's installation: one owner for the verdict every environment-backed item needs."""

from __future__ import annotations

from evals.context import CheckContext
from evals.facts.environment import INSTALLED_ENV, InstallError
from evals.model import Finding, Outcome
from evals.registry import check

INSTALL_ITEM = "build.install"


@check(INSTALL_ITEM)
async def project_installs(ctx: CheckContext) -> Outcome:
    """The project's declared dependencies install into a fresh environment.

    A failure caused by the project is this item's ``fail``; a failure of the harness
    (network, an interpreter the project excludes) propagates and becomes ``error``.
    Items that need the environment declare ``requires=(INSTALL_ITEM,)`` and are skipped
    with this item's reason when it does not pass.
    """
    try:
        installed = await ctx.fact(INSTALLED_ENV)
    except InstallError as exc:
        if not exc.project_fault:
            raise
        first = next((line for line in str(exc).splitlines() if line.strip()), str(exc))
        return Outcome.failed(first, [Finding(str(exc))])
    notes = [f"added by the harness: {tool}" for tool in installed.added_tools]
    notes += installed.notes
    reason = f"installed with {installed.installer}" + "".join(f"; {n}" for n in notes)
    return Outcome.passed(reason)
