"""The project's installation: one owner for the verdict every environment-backed item needs."""

from __future__ import annotations

from evals.context import CheckContext
from evals.facts.environment import INSTALLED_ENV, InstallError
from evals.model import Finding, Outcome
from evals.registry import check

INSTALL_ITEM = "build.install"


def install_failure(exc: InstallError) -> Outcome:
    """The ``fail`` outcome of an install failure that is the project's fault.

    Raises:
        InstallError: ``exc`` itself when the harness, not the project, is at fault.
    """
    if not exc.project_fault:
        raise exc
    head, _, tail = str(exc).partition("\n")
    where = next((f for f in ("poetry.lock", "uv.lock") if f in tail), "pyproject.toml")
    return Outcome.failed(f"the project cannot be installed: {head}", [Finding(tail, where)])


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
        return install_failure(exc)
    notes = [f"added by the harness: {tool}" for tool in installed.added_tools]
    notes += installed.notes
    reason = f"installed with {installed.installer}" + "".join(f"; {n}" for n in notes)
    return Outcome.passed(reason)
