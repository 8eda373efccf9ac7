"""Import analysis of the architectural layers: Router -> Service -> Repository."""

from __future__ import annotations

from dataclasses import dataclass

from evals.context import CheckContext
from evals.facts.ast_index import IMPORTS, ImportRef, in_dir, unparsable, verdict
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


LAYER_RULES = (
    LayerRule("src/app/api", "router", ("app.repositories", "app.models")),
    LayerRule("src/app/services", "service", ("fastapi", "starlette", "app.api")),
    LayerRule(
        "src/app/repositories",
        "repository",
        ("fastapi", "starlette", "app.services", "app.api"),
    ),
)


def _sql_query_import(ref: ImportRef) -> bool:
    """``from sqlalchemy import select`` and friends: building queries in a router."""
    if ref.module not in {"sqlalchemy", "sqlalchemy.future", "sqlalchemy.sql"}:
        return False
    return any(name in SQL_QUERY_NAMES for name in ref.names)


def violations(ref: ImportRef) -> list[Finding]:
    """The layering rules that the import ``ref`` breaks (usually none)."""
    findings: list[Finding] = []
    for rule in LAYER_RULES:
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
    refs = [ref for ref in await ctx.fact(IMPORTS) if in_dir(ref.path, "src/app")]
    findings = unparsable(await ctx.fact(PYTHON_MODULES), "src/app")
    findings += [finding for ref in refs for finding in violations(ref)]
    return verdict(findings, "imports against the layering", imports=len(refs))
