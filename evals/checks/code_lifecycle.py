"""Graceful shutdown: the app is built with a lifespan that releases its resources."""

from __future__ import annotations

import ast

from evals.context import CheckContext
from evals.facts.ast_index import FUNCTIONS, FunctionInfo, last_name
from evals.facts.layout import LAYOUT
from evals.facts.source import PYTHON_MODULES, PythonModule
from evals.model import Finding, Outcome
from evals.registry import check

CLEANUP_WORDS = ("dispose", "stop", "close", "shutdown", "cancel", "disconnect", "teardown")


def fastapi_calls(module: PythonModule) -> list[ast.Call]:
    """Every ``FastAPI(...)`` construction in ``module``."""
    tree = module.tree
    nodes = ast.walk(tree) if tree else iter(())
    return [n for n in nodes if isinstance(n, ast.Call) and last_name(n.func) == "FastAPI"]


def on_event_uses(module: PythonModule) -> list[Finding]:
    """Uses of the deprecated ``on_event`` start-up/shutdown hooks."""
    tree = module.tree
    nodes = ast.walk(tree) if tree else iter(())
    return [
        Finding("deprecated on_event hook (use a lifespan)", module.path, node.lineno)
        for node in nodes
        if isinstance(node, ast.Attribute) and node.attr == "on_event"
    ]


def _lifespan_argument(call: ast.Call) -> ast.expr | None:
    return next((kw.value for kw in call.keywords if kw.arg == "lifespan"), None)


def find_function(
    name: str, prefer: str, functions: tuple[FunctionInfo, ...]
) -> FunctionInfo | None:
    """The function called ``name`` in ``functions``, preferring one defined in ``prefer``."""
    candidates = [f for f in functions if f.name == name]
    candidates.sort(key=lambda f: (f.path != prefer, f.qualname.count(".")))
    return candidates[0] if candidates else None


def _is_cleanup_call(node: ast.AST) -> bool:
    name = last_name(node.func) if isinstance(node, ast.Call) else None
    return name is not None and any(word in name.lower() for word in CLEANUP_WORDS)


def releases_after_yield(function: FunctionInfo) -> bool:
    """Whether the lifespan releases resources on shutdown.

    True when a clean-up call (dispose/stop/close/shutdown/...) follows the first
    ``yield``, when the ``yield`` sits inside a ``with``/``async with`` block (whose exit
    is the shutdown), or when clean-ups are registered on an exit stack.
    """
    nodes = list(ast.walk(function.node))
    yields = [n for n in nodes if isinstance(n, ast.Yield | ast.YieldFrom)]
    if not yields:
        return False
    first = min(n.lineno for n in yields)
    calls = [n for n in nodes if isinstance(n, ast.Call)]
    if any(_is_cleanup_call(n) and n.lineno > first for n in calls):
        return True
    scopes = [n for n in nodes if isinstance(n, ast.With | ast.AsyncWith)]
    return any(n.lineno < first <= (n.end_lineno or 0) for n in scopes)


def lifespan_findings(
    call: ast.Call, path: str, functions: tuple[FunctionInfo, ...]
) -> list[Finding]:
    """Problems with the lifespan given to one ``FastAPI(...)`` call."""
    argument = _lifespan_argument(call)
    if argument is None:
        return [Finding("FastAPI(...) is created without a lifespan", path, call.lineno)]
    name = last_name(argument)
    function = find_function(name, path, functions) if name else None
    if function is None:
        message = f"lifespan {ast.unparse(argument)} not found in the application code"
        return [Finding(message, path, call.lineno)]
    if not releases_after_yield(function):
        message = f"lifespan {function.qualname} releases nothing after its yield"
        return [Finding(message, function.path, function.line)]
    return []


@check("infra.graceful_shutdown")
async def graceful_shutdown(ctx: CheckContext) -> Outcome:
    """The app is built with a lifespan that cleans up after its yield; no on_event."""
    layout = await ctx.fact(LAYOUT)
    modules = [m for m in await ctx.fact(PYTHON_MODULES) if layout.in_package(m.path)]
    functions = tuple(f for f in await ctx.fact(FUNCTIONS) if layout.in_code(f.path))
    main = [m for m in modules if layout.app and m.path == layout.app.path]
    creators = [m for m in main if fastapi_calls(m)] or [m for m in modules if fastapi_calls(m)]
    if not creators:
        where = layout.package_dir or "the project"
        return Outcome.failed(f"no FastAPI(...) application found in {where}", [])
    findings = [
        finding
        for module in creators
        for call in fastapi_calls(module)
        for finding in lifespan_findings(call, module.path, functions)
    ]
    findings += [finding for module in modules for finding in on_event_uses(module)]
    return Outcome.from_findings(findings, "graceful shutdown problems")
