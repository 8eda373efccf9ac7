"""Configuration checks: pydantic-settings with env support, and no committed secrets."""

from __future__ import annotations

import ast

from evals.checks.code_secrets import committed_secret_files, config_file_secrets, python_secrets
from evals.context import CheckContext
from evals.facts.ast_index import dotted_name, in_dir, last_name
from evals.facts.source import PROJECT_FILES, PYTHON_MODULES, PythonModule
from evals.model import Finding, Outcome
from evals.registry import check

CONFIG_MODULE = "src/app/core/config.py"
REQUIRED_ENV_VARS = ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS")
ALIAS_KEYWORDS = ("alias", "validation_alias")


def settings_classes(tree: ast.Module) -> list[ast.ClassDef]:
    """Classes deriving (directly) from ``BaseSettings``."""
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        and any(last_name(base) == "BaseSettings" for base in node.bases)
    ]


def model_config_options(cls: ast.ClassDef) -> dict[str, ast.expr]:
    """Keyword options of ``model_config = SettingsConfigDict(...)`` (or a dict literal)."""
    for node in cls.body:
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        value = getattr(node, "value", None)
        if not (isinstance(target, ast.Name) and target.id == "model_config"):
            continue
        if isinstance(value, ast.Call):
            return {kw.arg: kw.value for kw in value.keywords if kw.arg}
        if isinstance(value, ast.Dict):
            pairs = zip(value.keys, value.values, strict=True)
            return {key: v for k, v in pairs if (key := _literal(k)) is not None}
    return {}


def _literal(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _field_aliases(value: ast.expr | None) -> list[str]:
    if not isinstance(value, ast.Call) or last_name(value.func) != "Field":
        return []
    literals = (_literal(kw.value) for kw in value.keywords if kw.arg in ALIAS_KEYWORDS)
    return [literal for literal in literals if literal]


def env_variables(cls: ast.ClassDef) -> set[str]:
    """Environment variables the settings class reads (env_prefix + field name, or aliases)."""
    prefix = _literal(model_config_options(cls).get("env_prefix")) or ""
    names: set[str] = set()
    for node in cls.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add((prefix + node.target.id).upper())
            names.update(alias.upper() for alias in _field_aliases(node.value))
    return names


def settings_findings(module: PythonModule) -> list[Finding]:
    """What is missing from the settings module for twelve-factor configuration."""
    classes = settings_classes(module.tree) if module.tree else []
    if not classes:
        return [Finding("no pydantic-settings BaseSettings subclass", module.path)]
    findings: list[Finding] = []
    if not any("env_file" in model_config_options(cls) for cls in classes):
        message = "settings model_config does not set env_file (.env support)"
        findings.append(Finding(message, module.path, classes[0].lineno))
    read = set().union(*(env_variables(cls) for cls in classes))
    for variable in REQUIRED_ENV_VARS:
        if variable not in read:
            findings.append(Finding(f"no settings field reads {variable}", module.path))
    return findings


@check("config.settings")
async def pydantic_settings(ctx: CheckContext) -> Outcome:
    """core/config.py has a BaseSettings class with env_file, DATABASE_URL and Kafka servers."""
    files = await ctx.fact(PROJECT_FILES)
    modules = {module.path: module for module in await ctx.fact(PYTHON_MODULES)}
    findings: list[Finding] = []
    if ".env.example" not in files:
        findings.append(Finding("no committed .env.example", ".env.example"))
    if CONFIG_MODULE in modules:
        findings.extend(settings_findings(modules[CONFIG_MODULE]))
    else:
        findings.append(Finding(f"missing {CONFIG_MODULE}", CONFIG_MODULE))
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
    sources = [m for m in await ctx.fact(PYTHON_MODULES) if in_dir(m.path, "src")]
    findings = committed_secret_files(ctx.project, files)
    findings += [finding for module in sources for finding in python_secrets(module)]
    findings += config_file_secrets(ctx.project, files)
    fields = sum(secret_fields(module) for module in sources)
    if not fields:
        findings.append(Finding("no settings field is SecretStr", CONFIG_MODULE))
    return Outcome.from_findings(findings, "secret problems", secret_fields=fields)
