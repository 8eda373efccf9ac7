"""Finding a project's ASGI app when the contract's ``app.main:app`` does not load.

Candidates come from the project locator (:mod:`evals.facts.layout`: module-level
``X = FastAPI(...)`` assignments and app factories such as ``create_app``, wherever the
application package is); which of them import is decided by a small probe run with the
project's own interpreter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from evals.facts.layout import CONTRACT_TARGET, AppTarget, ProjectLayout
from evals.procs import run
from evals.sandbox import Sandbox

PROBE_TIMEOUT_S = 120.0

# Run with the project's interpreter: imports each "module:attr" given as an argument and
# prints, as JSON, whether it is an app (callable object) or a factory (plain function).
_PROBE = """
import importlib, inspect, json, sys
found = {}
for spec in sys.argv[1:]:
    module, _, attr = spec.partition(":")
    try:
        obj = getattr(importlib.import_module(module), attr)
    except BaseException as exc:
        found[spec] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
        continue
    kind = "factory" if inspect.isfunction(obj) else "app" if callable(obj) else ""
    found[spec] = {"kind": kind}
print(json.dumps(found))
"""


@dataclass(frozen=True)
class ProbeResult:
    """Whether one candidate imported.

    Attributes:
        target: The candidate, with ``factory`` set from what the probe saw.
        loads: Whether it imported and is callable.
        error: The import error when it did not load.
    """

    target: AppTarget
    loads: bool
    error: str = ""


def candidate_targets(layout: ProjectLayout) -> list[AppTarget]:
    """``app.main:app`` first, then every app or factory the layout found, preferred first."""
    found = [CONTRACT_TARGET]
    found.extend(d.target for d in layout.apps if d.target not in found)
    return found


def _result(target: AppTarget, raw: object) -> ProbeResult:
    """A :class:`ProbeResult` from the probe's JSON entry for ``target``."""
    entry = raw if isinstance(raw, dict) else {}
    kind = str(entry.get("kind", ""))
    if not kind:
        fallback = "not callable" if entry else "the probe gave no result"
        return ProbeResult(target, False, str(entry.get("error", fallback)))
    resolved = AppTarget(target.module, target.attr, factory=kind == "factory")
    return ProbeResult(resolved, True)


async def probe_targets(
    python: Path,
    project: Path,
    env: dict[str, str],
    targets: list[AppTarget],
    sandbox: Sandbox | None = None,
) -> dict[str, ProbeResult]:
    """Import each candidate with the project's interpreter (in ``sandbox``), by ``module:attr``."""
    argv = [str(python), "-c", _PROBE, *(t.spec for t in targets)]
    result = await run(argv, cwd=project, env=env, timeout_s=PROBE_TIMEOUT_S, sandbox=sandbox)
    lines = result.stdout.strip().splitlines()
    try:
        found = json.loads(lines[-1]) if lines else {}
    except ValueError:
        found = {}
    if not isinstance(found, dict):
        found = {}
    return {t.spec: _result(t, found.get(t.spec)) for t in targets}
