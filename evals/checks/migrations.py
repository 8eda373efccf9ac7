"""Full-tier check of the Alembic migrations against a fresh PostgreSQL database."""

from __future__ import annotations

import re
from pathlib import Path

from evals.checks.build import INSTALL_ITEM
from evals.context import CheckContext
from evals.facts.environment import INSTALLED_ENV
from evals.facts.load_gate import machine_load
from evals.facts.services import SERVICES
from evals.model import Finding, Outcome
from evals.procs import ProcResult, run
from evals.registry import check
from evals.sandbox import Sandbox, project_sandbox

STEPS = (("upgrade", "head"), ("downgrade", "base"), ("upgrade", "head"), ("check",))
STEP_TIMEOUT_S = 300.0
TAIL_LINES = 25
TRACE_LINE = re.compile(r'File "([^"]+)", line (\d+)')


def located(output: str, project: Path) -> tuple[str | None, int | None]:
    """The innermost traceback frame of ``output`` in a project file (not its venv)."""
    root = project.resolve()
    for filename, line in reversed(TRACE_LINE.findall(output)):
        path = Path(filename) if Path(filename).is_absolute() else root / filename
        if "/site-packages/" in filename or not path.is_file():
            continue
        resolved = path.resolve()
        if resolved.is_relative_to(root):
            return resolved.relative_to(root).as_posix(), int(line)
    return None, None


def step_finding(step: tuple[str, ...], result: ProcResult, project: Path) -> Finding:
    """A finding for a failed Alembic step, located at the failing migration when possible."""
    status = "timed out" if result.timed_out else f"exited {result.returncode}"
    message = f"alembic {' '.join(step)} {status}:\n{result.tail(TAIL_LINES)}"
    return Finding(message, *located(result.stdout + result.stderr, project))


def failure_reason(step: tuple[str, ...]) -> str:
    """The one-line reason for a failure at ``step``."""
    if step == ("check",):
        return "models differ from the migrated schema (alembic check: autogenerate diff not empty)"
    return f"alembic {' '.join(step)} failed on a fresh database"


async def run_steps(
    ctx: CheckContext, python: str, env: dict[str, str], sandbox: Sandbox | None = None
) -> Outcome:
    """Run the Alembic steps in order (in ``sandbox``); the first failing one decides."""
    for step in STEPS:
        argv = [python, "-m", "alembic", *step]
        async with machine_load(ctx.facts):
            result = await run(
                argv, cwd=ctx.project, env=env, timeout_s=STEP_TIMEOUT_S, sandbox=sandbox
            )
        if not result.ok:
            return Outcome.failed(failure_reason(step), [step_finding(step, result, ctx.project)])
    return Outcome.passed("upgrade, downgrade and re-upgrade succeeded; no autogenerate diff")


@check("db.migrations", requires=(INSTALL_ITEM,))
async def migrations_round_trip(ctx: CheckContext) -> Outcome:
    """Upgrade head, downgrade base, upgrade head, then an empty autogenerate diff."""
    if not (ctx.project / "alembic.ini").is_file():
        missing = [Finding("missing", "alembic.ini")]
        return Outcome.failed("no alembic.ini at the project root", missing)
    installed = await ctx.fact(INSTALLED_ENV)
    services = await ctx.fact(SERVICES)
    database = await services.fresh_database("migrations")
    env = {**installed.env, **services.env, "DATABASE_URL": database}
    sandbox = services.confine(await project_sandbox(ctx.facts))
    return await run_steps(ctx, str(installed.python), env, sandbox)
