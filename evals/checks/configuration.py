"""Configuration checks: pydantic-settings with env support, and no committed secrets."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass

from evals.checks.code_secrets import committed_secret_files, config_file_secrets, python_secrets
from evals.context import CheckContext
from evals.facts.ast_index import dotted_name, last_name
from evals.facts.callgraph import code_modules
from evals.facts.layout import LAYOUT, ProjectLayout
from evals.facts.patterns import CALL_SITES, CallSite, base_names, class_defs, subclasses
from evals.facts.source import PROJECT_FILES, PYTHON_MODULES, PythonModule
from evals.model import Finding, Outcome
from evals.registry import check

CONFIG_MODULE = "core/config.py"
REQUIRED_ENV_VARS = ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS")
ALIAS_KEYWORDS = ("alias", "validation_alias")
ALIAS_CLASSES = frozenset({"AliasChoices", "AliasPath"})
SETTINGS_ROOTS = ("BaseSettings",)


@dataclass(frozen=True)
class SettingsClass:
    """A pydantic-settings class with what it inherits from the project's classes.

    Attributes:
        module: The defining module.
        node: The class definition.
        options: ``model_config`` options, the class's own over its bases'.
        fields: ``(name, annotation, value)`` of every field, inherited ones first.
    """

    module: PythonModule
    node: ast.ClassDef
    options: dict[str, ast.expr]
    fields: tuple[tuple[str, ast.expr, ast.expr | None], ...]


def model_config_options(cls: ast.ClassDef) -> dict[str, ast.expr]:
    """Options of ``model_config = SettingsConfigDict(...)`` (or a dict), or ``class Config``."""
    options: dict[str, ast.expr] = {}
    for node in cls.body:
        if isinstance(node, ast.ClassDef) and node.name == "Config":
            options.update(_class_options(node))
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        if isinstance(target, ast.Name) and target.id == "model_config":
            options.update(_config_entries(getattr(node, "value", None)))
    return options


def _class_options(node: ast.ClassDef) -> dict[str, ast.expr]:
    """``name = value`` assignments of a (pydantic v1 style) ``class Config``."""
    return {
        target.id: statement.value
        for statement in node.body
        if isinstance(statement, ast.Assign)
        for target in statement.targets
        if isinstance(target, ast.Name)
    }


def _config_entries(value: ast.expr | None) -> dict[str, ast.expr]:
    """Keywords of a ``SettingsConfigDict(...)`` call, or entries of a dict display."""
    if isinstance(value, ast.Call):
        return {kw.arg: kw.value for kw in value.keywords if kw.arg}
    if isinstance(value, ast.Dict):
        pairs = zip(value.keys, value.values, strict=True)
        return {key: v for k, v in pairs if (key := _literal(k)) is not None}
    return {}


def _literal(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _own_fields(cls: ast.ClassDef) -> list[tuple[str, ast.expr, ast.expr | None]]:
    """Annotated class attributes (fields) of ``cls``."""
    return [
        (node.target.id, node.annotation, node.value)
        for node in cls.body
        if isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and node.target.id != "model_config"
    ]


def settings_classes(modules: Iterable[PythonModule]) -> list[SettingsClass]:
    """Every ``BaseSettings`` subclass of ``modules`` (also indirect), with inherited parts."""
    found = subclasses(modules, SETTINGS_ROOTS)
    by_name = {node.name: node for _, node in class_defs(modules)}
    return [SettingsClass(m, n, *_inherited(n, by_name)) for m, n in found]


def _inherited(
    node: ast.ClassDef, by_name: dict[str, ast.ClassDef], depth: int = 0
) -> tuple[dict[str, ast.expr], tuple[tuple[str, ast.expr, ast.expr | None], ...]]:
    """Options and fields of ``node`` merged over those of its project base classes."""
    options: dict[str, ast.expr] = {}
    fields: list[tuple[str, ast.expr, ast.expr | None]] = []
    for base in base_names(node) if depth < len(by_name) else ():
        if base in by_name and by_name[base] is not node:
            base_options, base_fields = _inherited(by_name[base], by_name, depth + 1)
            options.update(base_options)
            fields.extend(base_fields)
    options.update(model_config_options(node))
    return options, (*fields, *_own_fields(node))


def alias_names(value: ast.expr | None) -> list[str]:
    """Environment names of ``Field(alias=...)``/``validation_alias`` (``AliasChoices`` too)."""
    if not isinstance(value, ast.Call) or last_name(value.func) != "Field":
        return []
    names: list[str] = []
    for keyword in value.keywords:
        if keyword.arg in ALIAS_KEYWORDS:
            names.extend(_alias_strings(keyword.value))
    return names


def _alias_strings(node: ast.expr) -> list[str]:
    """A literal alias, or the first names of ``AliasChoices``/``AliasPath`` options."""
    if (text := _literal(node)) is not None:
        return [text]
    if isinstance(node, ast.Call) and last_name(node.func) == "AliasPath":
        return [t for t in [_literal(node.args[0] if node.args else None)] if t]
    if isinstance(node, ast.Call) and last_name(node.func) == "AliasChoices":
        return [name for arg in node.args for name in _alias_strings(arg)]
    return []


def env_variables(settings: SettingsClass, classes: dict[str, ast.ClassDef]) -> set[str]:
    """Environment variables the class reads, upper-cased unless it is case-sensitive.

    A field is read from its aliases when it has any, else from ``env_prefix`` + its name;
    a field whose type is a model of the project is read through ``env_nested_delimiter``.
    """
    prefix = _literal(settings.options.get("env_prefix")) or ""
    delimiter = _literal(settings.options.get("env_nested_delimiter"))
    names: set[str] = set()
    for name, annotation, value in settings.fields:
        aliases = alias_names(value)
        names.update(aliases or [prefix + name])
        if delimiter and not aliases:
            names.update(_nested(prefix + name, annotation, delimiter, classes))
    sensitive = isinstance(case := settings.options.get("case_sensitive"), ast.Constant)
    return names if sensitive and getattr(case, "value", False) is True else upper(names)


def upper(names: Iterable[str]) -> set[str]:
    """``names`` in upper case (pydantic-settings matches them case-insensitively)."""
    return {name.upper() for name in names}


def _nested(
    head: str, annotation: ast.expr, delimiter: str, classes: dict[str, ast.ClassDef]
) -> set[str]:
    """``head<delimiter><field>`` for the fields of project models named in ``annotation``."""
    models = [classes[n] for n in _annotation_names(annotation) if n in classes]
    return {f"{head}{delimiter}{name}" for model in models for name, _, _ in _own_fields(model)}


def _annotation_names(annotation: ast.expr) -> set[str]:
    """Identifiers an annotation mentions (``KafkaSettings | None`` -> both names)."""
    return {n.id for n in ast.walk(annotation) if isinstance(n, ast.Name)}


def reads_env_file(settings: list[SettingsClass], sites: Iterable[CallSite]) -> bool:
    """Whether a settings class sets ``env_file``, or is built with ``_env_file=...``."""
    if any("env_file" in s.options for s in settings):
        return True
    names = {s.node.name for s in settings}
    return any(site.last in names and "_env_file" in site.keywords for site in sites)


def settings_findings(
    settings: list[SettingsClass], modules: list[PythonModule], sites: Iterable[CallSite]
) -> list[Finding]:
    """What the settings classes miss for twelve-factor configuration."""
    first = settings[0]
    findings: list[Finding] = []
    if not reads_env_file(settings, sites):
        message = "settings model_config does not set env_file (.env support)"
        findings.append(Finding(message, first.module.path, first.node.lineno))
    classes = {node.name: node for _, node in class_defs(modules)}
    read = set().union(*(env_variables(s, classes) for s in settings))
    for variable in REQUIRED_ENV_VARS:
        if variable not in read:
            findings.append(Finding(f"no settings field reads {variable}", first.module.path))
    return findings


async def application(ctx: CheckContext) -> tuple[ProjectLayout, list[PythonModule]]:
    """The project layout and the parsed modules of its application code."""
    layout = await ctx.fact(LAYOUT)
    parsed: tuple[PythonModule, ...] = await ctx.fact(PYTHON_MODULES)
    return layout, code_modules(parsed, layout)


@check("config.settings")
async def pydantic_settings(ctx: CheckContext) -> Outcome:
    """A BaseSettings class in the package sets env_file and reads the required variables."""
    files = await ctx.fact(PROJECT_FILES)
    layout, modules = await application(ctx)
    findings: list[Finding] = []
    if ".env.example" not in files:
        findings.append(Finding("no committed .env.example", ".env.example"))
    settings = settings_classes(modules)
    if settings:
        sites = [s for s in await ctx.fact(CALL_SITES) if layout.in_code(s.path)]
        findings.extend(settings_findings(settings, modules, sites))
    else:
        message = "no pydantic-settings BaseSettings subclass in the application code"
        findings.append(Finding(message, layout.path(CONFIG_MODULE)))
    return Outcome.from_findings(findings, "settings problems")


def _is_secret_annotation(statement: ast.stmt) -> bool:
    if not isinstance(statement, ast.AnnAssign):
        return False
    names = {dotted_name(n) for n in ast.walk(statement.annotation) if isinstance(n, ast.expr)}
    return bool(names & {"SecretStr", "pydantic.SecretStr"})


def secret_fields(module: PythonModule) -> int:
    """Number of class attributes annotated with ``SecretStr`` in ``module``."""
    tree = module.tree
    classes = [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)] if tree else []
    return sum(1 for cls in classes for statement in cls.body if _is_secret_annotation(statement))


@check("config.secrets")
async def no_committed_secrets(ctx: CheckContext) -> Outcome:
    """No secret files or hard-coded credentials committed; some settings field is SecretStr."""
    files = await ctx.fact(PROJECT_FILES)
    layout, sources = await application(ctx)
    findings = committed_secret_files(ctx.project, files)
    findings += [finding for module in sources for finding in python_secrets(module)]
    findings += config_file_secrets(ctx.project, files)
    fields = sum(secret_fields(module) for module in sources)
    if not fields:
        settings = settings_classes(sources)
        where = settings[0].module.path if settings else layout.path(CONFIG_MODULE)
        findings.append(Finding("no settings field is SecretStr", where))
    return Outcome.from_findings(findings, "secret problems", secret_fields=fields)
