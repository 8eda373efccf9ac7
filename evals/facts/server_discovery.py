"""Finding a project's ASGI app when the contract's ``app.main:app`` does not load.

Candidates come from the syntax trees of ``src/app`` (module-level ``X = FastAPI(...)``
assignments and app factories such as ``create_app``); which of them import is decided by
a small probe run with the project's own interpreter.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path

from evals.procs import run

APP_CLASSES = frozenset({"FastAPI", "Starlette"})
FACTORY_NAMES = frozenset({"create_app", "make_app", "build_app", "get_app", "app_factory"})
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
class AppTarget:
    """An ASGI app or app factory, as uvicorn names it.

    Attributes:
        module: Dotted module name, e.g. ``app.main``.
        attr: Attribute holding the app or factory.
        factory: Whether uvicorn must call it (``--factory``).
    """

    module: str
    attr: str
    factory: bool = False

    @property
    def spec(self) -> str:
        """``module:attr`` as uvicorn expects it."""
        return f"{self.module}:{self.attr}"


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


def _module_name(path: Path, src: Path) -> str:
    """Dotted module name of ``path`` relative to the ``src`` directory."""
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _called_name(node: ast.expr) -> str:
    """The simple name a call expression calls (``FastAPI`` for ``fastapi.FastAPI(...)``)."""
    if isinstance(node, ast.Call):
        func = node.func
        return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return ""


def _targets_in(tree: ast.Module, module: str) -> list[AppTarget]:
    """App instances and factories defined at the top level of one module."""
    found: list[AppTarget] = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and _called_name(node.value) in APP_CLASSES:
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            found.extend(AppTarget(module, name) for name in names)
        elif isinstance(node, ast.FunctionDef):
            returns = ast.unparse(node.returns) if node.returns else ""
            if node.name in FACTORY_NAMES or returns.split(".")[-1] in APP_CLASSES:
                found.append(AppTarget(module, node.name, factory=True))
    return found


def candidate_targets(project: Path) -> list[AppTarget]:
    """``app.main:app`` first, then every app or factory found in ``src/app``, main first."""
    src = project / "src"
    found = [AppTarget("app.main", "app")]
    files = sorted((src / "app").rglob("*.py"), key=lambda p: (p.name != "main.py", str(p)))
    for path in files:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
        except (SyntaxError, ValueError):
            continue
        found.extend(t for t in _targets_in(tree, _module_name(path, src)) if t not in found)
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
    python: Path, project: Path, env: dict[str, str], targets: list[AppTarget]
) -> dict[str, ProbeResult]:
    """Import each candidate with the project's interpreter; results by ``module:attr``."""
    argv = [str(python), "-c", _PROBE, *(t.spec for t in targets)]
    result = await run(argv, cwd=project, env=env, timeout_s=PROBE_TIMEOUT_S)
    lines = result.stdout.strip().splitlines()
    try:
        found = json.loads(lines[-1]) if lines else {}
    except ValueError:
        found = {}
    if not isinstance(found, dict):
        found = {}
    return {t.spec: _result(t, found.get(t.spec)) for t in targets}
