"""Checks of database access: async driver, pool, Alembic, transactions, indexes, models.

Every check reads the application code where the layout fact (:mod:`evals.facts.layout`)
finds it (``src/app``, ``app``, ``src/<name>``), and the migrations where Alembic's
configuration puts them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from evals.context import CheckContext
from evals.facts.ast_index import (
    FUNCTIONS,
    IMPORTS,
    FunctionInfo,
    ImportRef,
    in_dir,
    last_name,
    walk_body,
)
from evals.facts.callgraph import code_modules
from evals.facts.layout import LAYOUT, ProjectLayout
from evals.facts.patterns import CALL_SITES, CallSite, base_names, calls_named, class_defs
from evals.facts.project_config import ALEMBIC, PYPROJECT, AlembicConfig
from evals.facts.source import PYTHON_MODULES, PythonModule
from evals.model import Finding, Outcome
from evals.registry import check

ASYNC_ENGINES = ("create_async_engine", "async_engine_from_config")
POOL_KEYWORDS = ("pool_size", "max_overflow", "pool_timeout", "pool_recycle", "pool_pre_ping")
SYNC_ENGINE_CALLS = frozenset(
    {"sqlalchemy.create_engine", "sa.create_engine", "sqlalchemy.engine.create_engine"}
)
EMPTY_STATEMENTS = (ast.Pass,)


def dependency_strings(pyproject: object) -> list[str]:
    """Runtime dependencies declared in [project] or [tool.poetry] (as text)."""
    data = pyproject if isinstance(pyproject, dict) else {}
    project = data.get("project", {})
    declared = (
        [str(d) for d in project.get("dependencies", [])] if isinstance(project, dict) else []
    )
    poetry = data.get("tool", {}).get("poetry", {}) if isinstance(data.get("tool"), dict) else {}
    table = poetry.get("dependencies", {}) if isinstance(poetry, dict) else {}
    declared += (
        [f"{name} {spec}" for name, spec in table.items()] if isinstance(table, dict) else []
    )
    return declared


def sync_import(ref: ImportRef) -> bool:
    """Whether an import brings in psycopg2 or SQLAlchemy's sync ``create_engine``."""
    return ref.touches("psycopg2") or (ref.touches("sqlalchemy") and "create_engine" in ref.names)


async def application(ctx: CheckContext) -> tuple[ProjectLayout, list[PythonModule]]:
    """The project layout and the parsed modules of its application code."""
    layout = await ctx.fact(LAYOUT)
    parsed: tuple[PythonModule, ...] = await ctx.fact(PYTHON_MODULES)
    return layout, code_modules(parsed, layout)


async def sync_driver_findings(ctx: CheckContext) -> list[Finding]:
    """Imports of psycopg2 or SQLAlchemy's sync ``create_engine``, and sync URLs, in the code."""
    layout, modules = await application(ctx)
    findings = [
        Finding(f"sync database API imported: {ref.module}", path=ref.path, line=ref.line)
        for ref in await ctx.fact(IMPORTS)
        if layout.in_code(ref.path) and sync_import(ref)
    ]
    findings += [
        Finding(f"sync engine created: {site.name}()", path=site.path, line=site.line)
        for site in await ctx.fact(CALL_SITES)
        if site.name in SYNC_ENGINE_CALLS and layout.in_code(site.path)
    ]
    for module in modules:
        if "+psycopg2" in module.source:
            findings.append(Finding("psycopg2 database URL", path=module.path))
    return findings


@check("db.async_driver")
async def async_driver(ctx: CheckContext) -> Outcome:
    """Code uses create_async_engine, asyncpg is a dependency, no sync engine or psycopg2."""
    layout = await ctx.fact(LAYOUT)
    sites: tuple[CallSite, ...] = await ctx.fact(CALL_SITES)
    engines = calls_named(sites, *ASYNC_ENGINES, directories=(layout.code_root,))
    where = f"{layout.code_root}/" if layout.code_root else "the application code"
    findings = [] if engines else [Finding(f"no create_async_engine() call in {where}")]
    pyproject = await ctx.fact(PYPROJECT)
    if not any("asyncpg" in dep.lower() for dep in dependency_strings(pyproject.data)):
        findings.append(Finding("asyncpg is not a declared dependency", path=pyproject.path))
    findings += await sync_driver_findings(ctx)
    return Outcome.from_findings(findings, "async driver problems")


def pool_findings(engine: CallSite) -> list[Finding]:
    """A finding when an engine without an explicit ``poolclass`` misses pool settings."""
    if "poolclass" in engine.keywords:
        return []
    missing = [k for k in POOL_KEYWORDS if not engine.passes(k)]
    if not missing:
        return []
    message = f"{engine.last}() without {', '.join(missing)}"
    return [Finding(message, path=engine.path, line=engine.line)]


@check("db.pool")
async def connection_pool(ctx: CheckContext) -> Outcome:
    """Engines set pool_size, max_overflow, pool_timeout, pool_recycle and pool_pre_ping."""
    layout = await ctx.fact(LAYOUT)
    sites: tuple[CallSite, ...] = await ctx.fact(CALL_SITES)
    engines = calls_named(sites, *ASYNC_ENGINES, directories=(layout.code_root,))
    pooled = [e for e in engines if "poolclass" not in e.keywords]
    if not pooled:
        where = f"{layout.code_root}/" if layout.code_root else "the application code"
        return Outcome.failed(f"no create_async_engine() call with a connection pool in {where}")
    findings = [f for engine in pooled for f in pool_findings(engine)]
    return Outcome.from_findings(findings, "engines without explicit pool settings")


def module_function(module: PythonModule, name: str) -> ast.FunctionDef | None:
    """The module-level ``def name`` of ``module``."""
    for node in module.tree.body if module.tree else ():
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    return None


def is_empty(function: ast.FunctionDef) -> bool:
    """Whether a function only has a docstring, ``pass`` or ``...``."""
    for statement in function.body:
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            continue
        if not isinstance(statement, EMPTY_STATEMENTS):
            return False
    return True


def revision_findings(module: PythonModule) -> list[Finding]:
    """Findings for a revision without upgrade()/downgrade(), or whose downgrade does nothing."""
    upgrade, downgrade = module_function(module, "upgrade"), module_function(module, "downgrade")
    if upgrade is None or downgrade is None:
        missing = [n for n, f in (("upgrade", upgrade), ("downgrade", downgrade)) if f is None]
        return [Finding(f"revision without {' and '.join(missing)}()", path=module.path)]
    if is_empty(downgrade) and not is_empty(upgrade):
        return [Finding("downgrade() does nothing", path=module.path, line=downgrade.lineno)]
    return []


def env_findings(config: AlembicConfig, modules: Iterable[PythonModule]) -> list[Finding]:
    """Findings for a missing env.py or one that does not use an async engine."""
    path = f"{config.script_location}/env.py"
    env = next((m for m in modules if m.path == path), None)
    if env is None or env.tree is None:
        return [Finding("no env.py (or it does not parse)", path=path)]
    names = {last_name(n.func) for n in ast.walk(env.tree) if isinstance(n, ast.Call)}
    if not names & {*ASYNC_ENGINES, "run_sync"}:
        return [Finding("env.py does not run migrations through an async engine", path=path)]
    return []


@check("db.alembic")
async def alembic_migrations(ctx: CheckContext) -> Outcome:
    """alembic.ini and an async env.py exist, with at least one revision (upgrade + downgrade)."""
    config = await ctx.fact(ALEMBIC)
    if not config.exists:
        return Outcome.failed(
            "no Alembic configuration", [Finding("no alembic.ini", path="alembic.ini")]
        )
    modules = await ctx.fact(PYTHON_MODULES)
    findings = env_findings(config, modules)
    prefix = f"{config.script_location}/versions/"
    versions = [
        m for m in modules if m.path.startswith(prefix) and not m.path.endswith("__init__.py")
    ]
    if not versions:
        findings.append(
            Finding("no revision in versions/", path=f"{config.script_location}/versions")
        )
    findings += [f for module in versions for f in revision_findings(module)]
    return Outcome.from_findings(findings, "migration problems", revisions=len(versions))


def call_names(node: ast.AST) -> set[str]:
    """Final identifiers of every call in ``node``'s subtree."""
    return {last_name(n.func) or "" for n in ast.walk(node) if isinstance(n, ast.Call)}


def scopes_transaction(function: FunctionInfo) -> bool:
    """Commit plus rollback in an ``except`` handler, or ``async with <x>.begin()``."""
    nodes = list(walk_body(function.node))
    calls = {last_name(n.func) for n in nodes if isinstance(n, ast.Call)}
    begins = any(
        isinstance(n, ast.AsyncWith | ast.With)
        and any(last_name(item.context_expr) == "begin" for item in n.items)
        for n in nodes
    )
    handlers = [n for n in nodes if isinstance(n, ast.ExceptHandler)]
    rolls_back = any("rollback" in call_names(h) for h in handlers)
    return begins or ("commit" in calls and rolls_back)


EXITS = frozenset({"__aexit__", "__exit__"})


def own_exit_calls(node: ast.ClassDef) -> set[str] | None:
    """Calls made by a class's own ``__aexit__``/``__exit__``; None when it defines neither."""
    exits = [
        n
        for n in node.body
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name in EXITS
    ]
    return {name for method in exits for name in call_names(method)} if exits else None


def lineage(node: ast.ClassDef, classes: dict[str, ast.ClassDef]) -> list[ast.ClassDef]:
    """``node`` and its base classes defined in the project, nearest first."""
    found = [node]
    for current in found:
        bases = [classes[b] for b in sorted(base_names(current)) if b in classes]
        found += [base for base in bases if all(base is not seen for seen in found)]
    return found


def exit_calls(node: ast.ClassDef, classes: dict[str, ast.ClassDef]) -> set[str]:
    """Calls made on exiting a class's context: its own exit and the inherited ones it reaches."""
    calls: set[str] = set()
    for cls in lineage(node, classes):
        own = own_exit_calls(cls)
        calls |= own or set()
        if own is not None and not own & EXITS:
            break
    return calls


def units_of_work(modules: list[PythonModule]) -> list[tuple[PythonModule, ast.ClassDef]]:
    """Context-manager classes that roll back on exit and can commit (a Unit of Work)."""
    classes = {node.name: node for _, node in class_defs(modules)}
    return [
        (module, node)
        for module, node in class_defs(modules)
        if "rollback" in exit_calls(node, classes)
        and any("commit" in call_names(cls) for cls in lineage(node, classes))
    ]


def inside(site: CallSite, module: PythonModule, node: ast.ClassDef) -> bool:
    """Whether a call lies inside a class definition."""
    end = node.end_lineno or node.lineno
    return site.path == module.path and node.lineno <= site.line <= end


def committed_unit(
    units: list[tuple[PythonModule, ast.ClassDef]], sites: Iterable[CallSite]
) -> str | None:
    """The first Unit of Work that is committed: on exit, or by code outside the class."""
    outside = [
        s
        for s in sites
        if s.last == "commit"
        and "consumer" not in s.receiver.lower()
        and not any(inside(s, module, node) for module, node in units)
    ]
    for module, node in units:
        if outside or "commit" in (own_exit_calls(node) or set()):
            return f"Unit of Work {node.name} in {module.path}:{node.lineno}"
    return None


async def transaction_scope(ctx: CheckContext) -> str | None:
    """Where the code scopes a transaction, or None."""
    layout, modules = await application(ctx)
    functions = [f for f in await ctx.fact(FUNCTIONS) if layout.in_code(f.path)]
    scopes = [f for f in functions if scopes_transaction(f)]
    if scopes:
        return f"transaction scope in {scopes[0].path}:{scopes[0].qualname}"
    sites = calls_named(await ctx.fact(CALL_SITES), "commit", directories=(layout.code_root,))
    return committed_unit(units_of_work(modules), sites)


@check("db.transactions")
async def transactions(ctx: CheckContext) -> Outcome:
    """Work commits on success and rolls back on error (scope helper, begin(), Unit of Work)."""
    found = await transaction_scope(ctx)
    if found is not None:
        return Outcome.passed(found)
    layout = await ctx.fact(LAYOUT)
    sites = calls_named(await ctx.fact(CALL_SITES), "commit", directories=(layout.code_root,))
    paths = sorted({s.path for s in sites}) or [layout.path("core/database.py")]
    message = (
        "no session scope commits on success and rolls back on error "
        "(commit + rollback in except, session.begin(), or a Unit of Work)"
    )
    return Outcome.failed(message, [Finding(message, path=path) for path in paths])


def index_declarations(sites: Iterable[CallSite], directories: tuple[str, ...]) -> list[CallSite]:
    """``index=True`` columns, ``Index(...)`` and ``op.create_index(...)`` in ``directories``."""
    found = []
    for site in sites:
        if not any(d and in_dir(site.path, d) for d in directories):
            continue
        flagged = (
            isinstance(site.keywords.get("index"), ast.Constant)
            and getattr(site.keywords["index"], "value", None) is True
        )
        if site.last in {"Index", "create_index"} or (
            site.last in {"Column", "mapped_column"} and flagged
        ):
            found.append(site)
    return found


@check("db.indexes")
async def indexes(ctx: CheckContext) -> Outcome:
    """Models or migrations declare indexes beyond primary keys."""
    config = await ctx.fact(ALEMBIC)
    layout = await ctx.fact(LAYOUT)
    directories = (layout.code_root, config.script_location)
    sites: tuple[CallSite, ...] = await ctx.fact(CALL_SITES)
    declared = index_declarations(sites, directories)
    if not declared:
        return Outcome.failed(
            "no index declared in models or migrations (index=True, Index, create_index)"
        )
    return Outcome.passed("", indexes=len(declared))


def typed_columns(modules: Iterable[PythonModule]) -> list[ast.AnnAssign]:
    """``name: Mapped[...] = mapped_column(...)`` statements of the classes of ``modules``."""
    return [
        statement
        for _, node in class_defs(modules)
        for statement in node.body
        if isinstance(statement, ast.AnnAssign)
        and isinstance(statement.annotation, ast.Subscript)
        and last_name(statement.annotation.value) == "Mapped"
        and isinstance(statement.value, ast.Call)
        and last_name(statement.value.func) == "mapped_column"
    ]


@check("db.models")
async def typed_models(ctx: CheckContext) -> Outcome:
    """A DeclarativeBase subclass, Mapped/mapped_column columns, relationship and ForeignKey."""
    layout, modules = await application(ctx)
    all_sites: tuple[CallSite, ...] = await ctx.fact(CALL_SITES)
    names = ("relationship", "ForeignKey", "ForeignKeyConstraint")
    sites = calls_named(all_sites, *names, directories=(layout.code_root,))
    findings = []
    if not any(
        {"DeclarativeBase", "DeclarativeBaseNoMeta"} & base_names(n) for _, n in class_defs(modules)
    ):
        findings.append(Finding("no DeclarativeBase subclass"))
    if not typed_columns(modules):
        findings.append(Finding("no Mapped[...] = mapped_column(...) column"))
    if not any(s.last == "relationship" for s in sites):
        findings.append(Finding("no relationship()"))
    if not any(s.last in {"ForeignKey", "ForeignKeyConstraint"} for s in sites):
        findings.append(Finding("no ForeignKey"))
    return Outcome.from_findings(findings, "model shortcomings")
