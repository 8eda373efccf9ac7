"""Import analysis of the architectural layers: Router -> Service -> Repository."""

from __future__ import annotations

from dataclasses import dataclass

from evals.context import CheckContext
from evals.facts.ast_index import IMPORTS, ImportRef, in_dir, unparsable, verdict
from evals.facts.layout import LAYOUT, ProjectLayout
from evals.facts.source import PYTHON_MODULES
from evals.model import Finding, Outcome
from evals.registry import check

SQL_QUERY_NAMES = frozenset(
    {"select", "insert", "update", "delete", "text", "func", "and_", "or_", "exists"}
)


@dataclass(frozen=True)
class LayerRule:
    """Packages that modules in one layer directory must not import.

    Attributes:
        directory: The layer's directory, relative to the project root.
        layer: Short name of the layer for messages.
        forbidden: Dotted packages whose import (or any submodule's) is a violation.
    """

    directory: str
    layer: str
    forbidden: tuple[str, ...]


# Directory names (inside the application package) under which each layer is found.
LAYER_DIRS = {
    "router": ("api", "routers", "routes", "endpoints"),
    "service": ("services", "service", "use_cases"),
    "repository": ("repositories", "repository", "repos"),
    "model": ("models", "orm"),
}
FRAMEWORKS = ("fastapi", "starlette")
# Layer -> the layers (and framework packages) it must not import.
FORBIDDEN = {
    "router": ("repository", "model"),
    "service": ("router",),
    "repository": ("service", "router"),
}


def _packages(layout: ProjectLayout, layers: tuple[str, ...]) -> tuple[str, ...]:
    """Dotted packages of every directory name of ``layers`` inside the application package."""
    return tuple(layout.module(d) for layer in layers for d in LAYER_DIRS[layer])


def layer_rules(layout: ProjectLayout) -> list[LayerRule]:
    """The import rules of each layer, wherever the application package is."""
    rules = []
    for layer, forbidden in FORBIDDEN.items():
        packages = _packages(layout, forbidden)
        if layer != "router":
            packages = FRAMEWORKS + packages
        rules += [LayerRule(layout.path(d), layer, packages) for d in LAYER_DIRS[layer]]
    return rules


def _sql_query_import(ref: ImportRef) -> bool:
    """``from sqlalchemy import select`` and friends: building queries in a router."""
    if ref.module not in {"sqlalchemy", "sqlalchemy.future", "sqlalchemy.sql"}:
        return False
    return any(name in SQL_QUERY_NAMES for name in ref.names)


def violations(ref: ImportRef, rules: list[LayerRule]) -> list[Finding]:
    """The layering rules that the import ``ref`` breaks (usually none)."""
    findings: list[Finding] = []
    for rule in rules:
        if not in_dir(ref.path, rule.directory):
            continue
        for package in rule.forbidden:
            if ref.touches(package):
                message = f"{rule.layer} module imports {package} (layers depend only downwards)"
                findings.append(Finding(message, ref.path, ref.line))
        if rule.layer == "router" and _sql_query_import(ref):
            message = "router module builds SQL queries (sqlalchemy query API imported)"
            findings.append(Finding(message, ref.path, ref.line))
    return findings


@check("arch.layers")
async def layered_imports(ctx: CheckContext) -> Outcome:
    """Routers never import repositories/models; services and repositories never import upwards."""
    layout = await ctx.fact(LAYOUT)
    if not layout.package_dir:
        return Outcome.failed("no application package found (see structure.layout)")
    rules = layer_rules(layout)
    refs = [ref for ref in await ctx.fact(IMPORTS) if layout.in_package(ref.path)]
    findings = unparsable(await ctx.fact(PYTHON_MODULES), layout.package_dir)
    findings += [finding for ref in refs for finding in violations(ref, rules)]
    return verdict(findings, "imports against the layering", imports=len(refs))
