"""Static checks of the code itself: function length, type hints and async correctness."""

from __future__ import annotations

import ast

from evals.context import CheckContext
from evals.facts.ast_index import (
    FUNCTIONS,
    IMPORTS,
    LEXICAL,
    ROUTE_HANDLERS,
    FunctionInfo,
    FunctionNode,
    ImportRef,
    LexicalInfo,
    docstring_lines,
    dotted_name,
    import_aliases,
    in_dir,
    qualified_call_name,
    unparsable,
    verdict,
    walk_body,
)
from evals.facts.layout import LAYOUT, ProjectLayout
from evals.facts.source import PYTHON_MODULES
from evals.model import Finding, Outcome
from evals.registry import check

BLOCKING_CALLS = frozenset(
    {
        "time.sleep",
        "open",
        "io.open",
        "os.system",
        "subprocess.run",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
        "subprocess.Popen",
        "sqlalchemy.create_engine",
        "sqlalchemy.engine.create_engine",
        "httpx.get",
        "httpx.post",
        "httpx.put",
        "httpx.patch",
        "httpx.delete",
        "httpx.request",
        "httpx.Client",
    }
)
BLOCKING_PACKAGES = ("requests", "urllib.request", "psycopg2", "kafka")
BANNED_IMPORTS = {"kafka": "kafka-python (use aiokafka)", "psycopg2": "psycopg2 (use asyncpg)"}


def effective_length(function: FunctionInfo, lexical: LexicalInfo) -> int:
    """Lines from ``def`` to the end holding code, not counting the docstring."""
    docstring = docstring_lines(function.node)
    span = range(function.line, function.end_line + 1)
    return sum(1 for line in span if line in lexical.code_lines and line not in docstring)


@check("code.function_length")
async def function_length(ctx: CheckContext) -> Outcome:
    """Every function of the application package has at most ``threshold`` lines of code."""
    limit = int(ctx.threshold)
    lexical = await ctx.fact(LEXICAL)
    layout = await ctx.fact(LAYOUT)
    findings = unparsable(await ctx.fact(PYTHON_MODULES), layout.package_dir)
    longest = 0
    for function in await ctx.fact(FUNCTIONS):
        if not layout.in_package(function.path):
            continue
        length = effective_length(function, lexical[function.path])
        longest = max(longest, length)
        if length > limit:
            message = f"{function.qualname} is {length} lines long (limit {limit})"
            findings.append(Finding(message, function.path, function.line))
    return verdict(findings, f"functions longer than {limit} lines", longest=longest)


def _parameters(node: FunctionNode) -> list[ast.arg]:
    args = node.args
    extra = [arg for arg in (args.vararg, args.kwarg) if arg is not None]
    return [*args.posonlyargs, *args.args, *args.kwonlyargs, *extra]


def missing_annotations(function: FunctionInfo) -> list[str]:
    """Names of the unannotated parameters (``self``/``cls`` of methods exempt) and ``return``."""
    params = _parameters(function.node)
    if function.class_name and params and params[0].arg in {"self", "cls"}:
        params = params[1:]
    missing = [param.arg for param in params if param.annotation is None]
    if function.node.returns is None:
        missing.append("return")
    return missing


@check("types.annotations")
async def type_annotations(ctx: CheckContext) -> Outcome:
    """Every function and method of the code and tests annotates its parameters and return."""
    layout = await ctx.fact(LAYOUT)
    findings = unparsable(await ctx.fact(PYTHON_MODULES), layout.code_root, layout.tests_dir)
    total = 0
    for function in await ctx.fact(FUNCTIONS):
        if not (layout.in_code(function.path) or in_dir(function.path, layout.tests_dir)):
            continue
        total += 1
        missing = missing_annotations(function)
        if missing:
            message = f"{function.qualname}: no annotation for {', '.join(missing)}"
            findings.append(Finding(message, function.path, function.line))
    return verdict(findings, "functions without complete type hints", functions=total)


def _is_blocking(name: str) -> bool:
    if name in BLOCKING_CALLS:
        return True
    return any(name == pkg or name.startswith(pkg + ".") for pkg in BLOCKING_PACKAGES)


def _imported_or_builtin(call: ast.Call, aliases: dict[str, str]) -> bool:
    """Whether the callee is reached through an import or is the builtin ``open``.

    A local variable that happens to be called ``requests`` or ``kafka`` is not a library.
    """
    name = dotted_name(call.func)
    return name == "open" or (name is not None and name.split(".")[0] in aliases)


def blocking_calls(function: FunctionInfo, aliases: dict[str, str]) -> list[Finding]:
    """Blocking calls made directly in the body of the async ``function``."""
    findings: list[Finding] = []
    for node in walk_body(function.node):
        if not isinstance(node, ast.Call):
            continue
        name = qualified_call_name(node, aliases)
        if name is not None and _imported_or_builtin(node, aliases) and _is_blocking(name):
            message = f"blocking call {name}() inside async def {function.qualname}"
            findings.append(Finding(message, function.path, node.lineno))
    return findings


def banned_imports(refs: tuple[ImportRef, ...], layout: ProjectLayout) -> list[Finding]:
    """Absolute imports of synchronous Kafka/PostgreSQL client libraries in application code."""
    findings: list[Finding] = []
    for ref in refs:
        top = ref.module.split(".")[0]
        if ref.level == 0 and top in BANNED_IMPORTS and layout.in_code(ref.path):
            findings.append(Finding(f"imports {BANNED_IMPORTS[top]}", ref.path, ref.line))
    return findings


@check("async.no_blocking")
async def no_blocking_calls(ctx: CheckContext) -> Outcome:
    """No blocking call inside ``async def`` in the code; no sync Kafka/PostgreSQL client."""
    parsed = await ctx.fact(PYTHON_MODULES)
    layout = await ctx.fact(LAYOUT)
    modules = {module.path: module for module in parsed}
    findings = unparsable(parsed, layout.code_root)
    findings += banned_imports(await ctx.fact(IMPORTS), layout)
    aliases: dict[str, dict[str, str]] = {}
    for function in await ctx.fact(FUNCTIONS):
        if function.is_async and layout.in_code(function.path):
            if function.path not in aliases:
                aliases[function.path] = import_aliases(modules[function.path])
            findings.extend(blocking_calls(function, aliases[function.path]))
    return verdict(findings, "blocking calls or sync clients in async code")


@check("async.routes")
async def async_routes(ctx: CheckContext) -> Outcome:
    """Every function of the package decorated as a FastAPI route is ``async def``."""
    layout = await ctx.fact(LAYOUT)
    handlers = [h for h in await ctx.fact(ROUTE_HANDLERS) if layout.in_package(h.function.path)]
    if not handlers:
        where = layout.package_dir or "the project"
        return Outcome.failed(f"no FastAPI route handlers (@router.get/post/...) found in {where}")
    findings = unparsable(await ctx.fact(PYTHON_MODULES), layout.package_dir) + [
        Finding(
            f"route handler {h.function.qualname} ({h.method.upper()}) is a plain def",
            h.function.path,
            h.function.line,
        )
        for h in handlers
        if not h.function.is_async
    ]
    return verdict(findings, "sync route handlers", handlers=len(handlers))
