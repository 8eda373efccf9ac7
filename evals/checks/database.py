"""Checks of database access: async driver, pool, Alembic, transactions, indexes, models."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable

from evals.context import CheckContext
from evals.facts.ast_index import FUNCTIONS, IMPORTS, FunctionInfo, last_name, walk_body
from evals.facts.patterns import (
    CALL_SITES,
    CallSite,
    base_names,
    calls_named,
    class_defs,
    src_modules,
    under,
)
from evals.facts.project_config import ALEMBIC, PYPROJECT, AlembicConfig
from evals.facts.source import PYTHON_MODULES, PythonModule
from evals.model import Finding, Outcome
from evals.registry import check

ASYNC_ENGINES = ("create_async_engine", "async_engine_from_config")
POOL_KEYWORDS = ("pool_size", "max_overflow", "pool_timeout", "pool_recycle", "pool_pre_ping")
SYNC_ENGINE_CALLS = frozenset(
    {"sqlalchemy.create_engine", "sa.create_engine", "sqlalchemy.engine.create_engine"}
)
SESSION_MODULE = re.compile(r"(dependencies|database|session|db|unit_of_work|uow)\.py$")
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


async def sync_driver_findings(ctx: CheckContext) -> list[Finding]:
    """Imports of psycopg2 or SQLAlchemy's sync ``create_engine``, and sync URLs, under src/."""
    findings = [
        Finding(f"sync database API imported: {ref.module}", path=ref.path, line=ref.line)
        for ref in await ctx.fact(IMPORTS)
        if under(ref.path)
        and (
            ref.touches("psycopg2") or (ref.touches("sqlalchemy") and "create_engine" in ref.names)
        )
    ]
    findings += [
        Finding(f"sync engine created: {site.name}()", path=site.path, line=site.line)
        for site in await ctx.fact(CALL_SITES)
        if site.name in SYNC_ENGINE_CALLS and under(site.path)
    ]
    modules: tuple[PythonModule, ...] = await ctx.fact(PYTHON_MODULES)
    for module in src_modules(modules):
        if "+psycopg2" in module.source:
            findings.append(Finding("psycopg2 database URL", path=module.path))
    return findings


@check("db.async_driver")
async def async_driver(ctx: CheckContext) -> Outcome:
    """Code uses create_async_engine, asyncpg is a dependency, no sync engine or psycopg2."""
    sites: tuple[CallSite, ...] = await ctx.fact(CALL_SITES)
    engines = calls_named(sites, *ASYNC_ENGINES)
    findings = [] if engines else [Finding("no create_async_engine() call under src/")]
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
    sites: tuple[CallSite, ...] = await ctx.fact(CALL_SITES)
    engines = calls_named(sites, *ASYNC_ENGINES)
    pooled = [e for e in engines if "poolclass" not in e.keywords]
    if not pooled:
        return Outcome.failed("no create_async_engine() call with a connection pool under src/")
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
    rolls_back = any(
        isinstance(c, ast.Call) and last_name(c.func) == "rollback"
        for h in handlers
        for c in ast.walk(h)
    )
    return begins or ("commit" in calls and rolls_back)


@check("db.transactions")
async def transactions(ctx: CheckContext) -> Outcome:
    """The session dependency commits on success and rolls back on error (or uses begin())."""
    functions = [
        f for f in await ctx.fact(FUNCTIONS) if under(f.path) and SESSION_MODULE.search(f.path)
    ]
    scopes = [f for f in functions if scopes_transaction(f)]
    if scopes:
        return Outcome.passed(f"unit of work in {scopes[0].path}:{scopes[0].qualname}")
    paths = sorted({f.path for f in functions}) or ["src/app/api/dependencies.py"]
    message = "no session scope commits on success and rolls back on error"
    return Outcome.failed(message, [Finding(message, path=path) for path in paths])


def index_declarations(sites: Iterable[CallSite], directories: tuple[str, ...]) -> list[CallSite]:
    """``index=True`` columns, ``Index(...)`` and ``op.create_index(...)`` in ``directories``."""
    found = []
    for site in sites:
        if not under(site.path, *directories):
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
    directories = ("src", config.script_location)
    sites: tuple[CallSite, ...] = await ctx.fact(CALL_SITES)
    declared = index_declarations(sites, directories)
    if not declared:
        return Outcome.failed(
            "no index declared in models or migrations (index=True, Index, create_index)"
        )
    return Outcome.passed("", indexes=len(declared))


def typed_columns(modules: Iterable[PythonModule]) -> list[ast.AnnAssign]:
    """``name: Mapped[...] = mapped_column(...)`` statements of classes under src/."""
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
    parsed: tuple[PythonModule, ...] = await ctx.fact(PYTHON_MODULES)
    modules = src_modules(parsed)
    all_sites: tuple[CallSite, ...] = await ctx.fact(CALL_SITES)
    sites = calls_named(all_sites, "relationship", "ForeignKey", "ForeignKeyConstraint")
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
