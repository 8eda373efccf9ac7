"""Toolchain-tier checks: Ruff, Black, mypy, Bandit and pip-audit with harness-owned config.

Every tool is the harness's own copy (installed next to the harness's interpreter) and
runs with the configuration in ``evals/toolconfig/``, so a project cannot pass by
switching rules off in its own ``pyproject.toml``. Only the project's line length
(capped at :data:`MAX_LINE_LENGTH`), for Ruff its import classification, and for mypy
its ``ignore_missing_imports`` for third-party modules are honoured. The tools run on
the application code and tests wherever the layout fact (:mod:`evals.facts.layout`)
finds them. Findings carry the file and line parsed from each tool's JSON output.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.checks.build import INSTALL_ITEM
from evals.context import CheckContext, Facts, FactUnavailable
from evals.facts.ast_index import in_dir, module_name
from evals.facts.environment import INSTALLED_ENV, InstalledEnv
from evals.facts.layout import LAYOUT, ProjectLayout
from evals.facts.load_gate import machine_load
from evals.facts.project_config import (
    INI_CONFIGS,
    INI_NAMES,
    PYPROJECT,
    RUFF_CONFIGS,
    RUFF_NAMES,
    ConfigDocument,
    IniSections,
    parse_ini,
    parse_toml,
    read_text,
)
from evals.facts.source import PROJECT_FILES
from evals.model import Finding, Outcome
from evals.procs import ProcResult, run
from evals.registry import check
from evals.sandbox import Sandbox, project_sandbox

TOOLCONFIG = Path(__file__).resolve().parent.parent / "toolconfig"
HARNESS_BIN = Path(sys.executable).parent
DEFAULT_LINE_LENGTH = 88
MAX_LINE_LENGTH = 120
TOOL_TIMEOUT_S = 600.0
JSON_OUTPUT_CAP = 50_000_000  # tools' JSON reports must not be cut short
MAX_FINDINGS = 200
ISORT_CLASSIFICATION = ("known-first-party", "known-third-party", "known-local-folder")
# Per-module options a project may keep: they excuse a third-party package without types.
CARRIED_FLAGS = ("ignore_missing_imports", "follow_untyped_imports")
IMPORT_ERROR_CODES = frozenset({"import-untyped", "import-not-found"})
TRUE_WORDS = frozenset({"true", "1", "yes", "on"})
MODULE_PATTERN = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*(\.\*)?")
NO_PACKAGE = "no application package found (src/app, app, src/<name>, or where the app is)"
UNTRUSTED_TOOL_ENV = ("RUFF_", "BLACK_", "MYPY", "BANDIT", "PIP_AUDIT", "PYTHONPATH")


class ToolError(FactUnavailable):
    """A tool of the harness crashed or produced output the harness cannot read."""


def tool(name: str) -> str:
    """Path of the harness's own copy of the tool ``name``."""
    return str(HARNESS_BIN / name)


def tool_env() -> dict[str, str]:
    """The harness's environment without variables that would reconfigure the tools."""
    return {k: v for k, v in os.environ.items() if not k.startswith(UNTRUSTED_TOOL_ENV)}


@dataclass(frozen=True)
class ProjectToolConfig:
    """The project's own tool settings that the harness honours, from files parsed once.

    Line length, first-party detection and third-party import excuses; nothing else.

    Attributes:
        pyproject: ``pyproject.toml``'s data (empty when missing or malformed).
        ruff_files: ``.ruff.toml``/``ruff.toml`` data by file name (present files only).
        ini: ``mypy.ini``, ``.mypy.ini``, ``setup.cfg`` ... sections by file name.
    """

    pyproject: dict[str, Any] = field(default_factory=dict)
    ruff_files: dict[str, dict[str, Any]] = field(default_factory=dict)
    ini: dict[str, IniSections] = field(default_factory=dict)

    @classmethod
    def read(cls, project: Path) -> ProjectToolConfig:
        """Parse the files of ``project`` with the configuration facts' own parsers."""
        documents = {name: parse_toml(project, name) for name in ("pyproject.toml", *RUFF_NAMES)}
        data = {name: _data(doc) for name, doc in documents.items() if doc.exists}
        texts = {name: read_text(project, name) for name in INI_NAMES}
        ini = {name: parse_ini(text) for name, text in texts.items() if text is not None}
        return cls(data.pop("pyproject.toml", {}), data, ini)

    def tool(self, name: str) -> dict[str, Any]:
        """``[tool.<name>]`` of pyproject.toml (empty when absent or not a table)."""
        table = self.pyproject.get("tool", {})
        found = table.get(name, {}) if isinstance(table, dict) else {}
        return found if isinstance(found, dict) else {}

    @property
    def ruff(self) -> dict[str, Any]:
        """The project's Ruff settings: ``.ruff.toml``, ``ruff.toml`` or ``[tool.ruff]``."""
        for name in (".ruff.toml", "ruff.toml"):
            if name in self.ruff_files:
                return self.ruff_files[name]
        return self.tool("ruff")


def _data(document: ConfigDocument) -> dict[str, Any]:
    """A parsed TOML document's data; a malformed one reads as empty."""
    return document.data if isinstance(document.data, dict) else {}


async def tool_config(ctx: CheckContext) -> ProjectToolConfig:
    """The project's tool settings from the run's configuration facts (each parsed once)."""
    ruff_files = {name: _data(doc) for name, doc in (await ctx.fact(RUFF_CONFIGS)).items()}
    ini: dict[str, IniSections] = await ctx.fact(INI_CONFIGS)
    return ProjectToolConfig(_data(await ctx.fact(PYPROJECT)), ruff_files, dict(ini))


def project_line_length(config: ProjectToolConfig) -> int:
    """The project's configured line length (Black's, else Ruff's), default 88, capped."""
    for value in (config.tool("black").get("line-length"), config.ruff.get("line-length")):
        if isinstance(value, int) and value > 0:
            return min(value, MAX_LINE_LENGTH)
    return DEFAULT_LINE_LENGTH


def _string_list(value: object) -> list[str] | None:
    """``value`` when it is a list of strings, else None."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def import_classification(settings: ProjectToolConfig) -> list[str]:
    """``--config`` overrides carrying the project's first-party detection settings.

    Which imports are first-party (``src``, isort's ``known-*`` lists) decides how
    imports are grouped, not which rules apply, so it is the project's to define.
    """
    config = settings.ruff
    isort = config.get("lint", {}).get("isort", {}) or config.get("isort", {})
    overrides = []
    if (src := _string_list(config.get("src"))) is not None:
        overrides.append(f"src = {json.dumps(src)}")
    for key in ISORT_CLASSIFICATION:
        if (known := _string_list(isort.get(key))) is not None:
            overrides.append(f"lint.isort.{key} = {json.dumps(known)}")
    return [arg for override in overrides for arg in ("--config", override)]


def relative(project: Path, filename: str) -> str:
    """``filename`` relative to the project root (POSIX), when it lies inside it."""
    path = Path(filename)
    if not path.is_absolute():
        return path.as_posix()
    try:
        return path.resolve().relative_to(project.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def existing_dirs(files: tuple[str, ...], wanted: Iterable[str]) -> list[str]:
    """Those of ``wanted`` directories that contain at least one project file."""
    present = files
    return [d for d in wanted if any(f.startswith(f"{d}/") for f in present)]


def lint_dirs(layout: ProjectLayout) -> list[str]:
    """The directories linted and formatted: the code root and the tests folder."""
    return [d for d in (layout.code_root, layout.tests_dir) if d]


def capped(findings: list[Finding]) -> list[Finding]:
    """At most :data:`MAX_FINDINGS` findings, so huge reports stay readable."""
    return findings[:MAX_FINDINGS]


def tool_failure(name: str, result: ProcResult) -> ToolError:
    """A :class:`ToolError` describing how the tool ``name`` failed."""
    if result.timed_out:
        return ToolError(f"{name} timed out")
    return ToolError(f"{name} failed (exit {result.returncode}): {result.tail(5)}")


# ---------------------------------------------------------------------------- ruff


def ruff_findings(output: str, project: Path) -> list[Finding]:
    """Findings from ``ruff check --output-format json`` output.

    Raises:
        ValueError: If the output is not Ruff's JSON.
    """
    diagnostics = json.loads(output or "[]")
    if not isinstance(diagnostics, list):
        raise ValueError("ruff JSON output is not a list")
    findings = []
    for diag in diagnostics:
        location = diag.get("location") or {}
        message = f"{diag.get('code') or 'syntax'}: {diag.get('message', '')}"
        path = relative(project, str(diag.get("filename", "")))
        findings.append(Finding(message, path, location.get("row")))
    return findings


def ruff_argv(settings: ProjectToolConfig, config: Path) -> list[str]:
    """Ruff's command line: the harness's ``config`` with the project's line length and imports."""
    argv = [tool("ruff"), "check", "--config", str(config), *import_classification(settings)]
    argv += ["--no-cache", "--quiet", "--output-format", "json"]
    return [*argv, "--line-length", str(project_line_length(settings))]


async def run_ruff(project: Path, argv: list[str], sandbox: Sandbox | None = None) -> list[Finding]:
    """Run Ruff's command line ``argv`` (see :func:`ruff_argv`) in ``project``.

    Raises:
        ToolError: If Ruff fails or its output cannot be parsed.
    """
    result = await run(
        argv,
        cwd=project,
        env=tool_env(),
        timeout_s=TOOL_TIMEOUT_S,
        output_cap=JSON_OUTPUT_CAP,
        sandbox=sandbox,
    )
    if result.timed_out or result.returncode not in (0, 1):
        raise tool_failure("ruff", result)
    try:
        return ruff_findings(result.stdout, project)
    except ValueError as exc:
        raise ToolError(f"cannot read ruff output: {exc}") from None


@check("lint.ruff")
async def ruff_lint(ctx: CheckContext) -> Outcome:
    """Ruff with the harness's rule set finds nothing in the code root and tests."""
    layout = await ctx.fact(LAYOUT)
    targets = existing_dirs(await ctx.fact(PROJECT_FILES), lint_dirs(layout)) or ["."]
    async with machine_load(ctx.facts):
        sandbox = await project_sandbox(ctx.facts)
        argv = ruff_argv(await tool_config(ctx), TOOLCONFIG / "ruff.toml")
        findings = await run_ruff(ctx.project, [*argv, *targets], sandbox)
    return Outcome.from_findings(capped(findings), "Ruff findings", count=len(findings))


@check("docs.docstrings")
async def google_docstrings(ctx: CheckContext) -> Outcome:
    """Ruff's pydocstyle rules (Google convention) find nothing in the application package."""
    package = await package_dir(ctx)
    if package is None:
        return Outcome.failed(NO_PACKAGE)
    async with machine_load(ctx.facts):
        sandbox = await project_sandbox(ctx.facts)
        argv = ruff_argv(await tool_config(ctx), TOOLCONFIG / "ruff-docstrings.toml")
        findings = await run_ruff(ctx.project, [*argv, package], sandbox)
    return Outcome.from_findings(capped(findings), "docstring findings", count=len(findings))


# ---------------------------------------------------------------------------- black


def black_findings(stderr: str) -> list[Finding]:
    """Files Black would reformat (or cannot parse), from ``black --check`` output."""
    findings = []
    for line in stderr.splitlines():
        if line.startswith("would reformat "):
            path = line.removeprefix("would reformat ").strip()
            findings.append(Finding("Black would reformat this file", path))
        elif line.startswith("error: cannot format "):
            path, _, why = line.removeprefix("error: cannot format ").partition(": ")
            findings.append(Finding(f"Black cannot format this file: {why}", path))
    return findings


def _write_black_config(workdir: Path, line_length: int) -> Path:
    """A Black config file holding only the project's line length."""
    config = workdir / "toolconfig" / "black.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f"[tool.black]\nline-length = {line_length}\n", encoding="utf-8")
    return config


async def run_tool(
    ctx: CheckContext, argv: list[str], env: dict[str, str] | None = None, *writable: Path
) -> ProcResult:
    """Run one harness tool in the project copy (sandboxed), holding the load gate shared."""
    toolconfig = ctx.facts.options.workdir / "toolconfig"
    sandbox = await project_sandbox(ctx.facts, *writable)
    async with machine_load(ctx.facts):
        return await run(
            argv,
            cwd=ctx.project,
            env=env or tool_env(),
            timeout_s=TOOL_TIMEOUT_S,
            output_cap=JSON_OUTPUT_CAP,
            sandbox=sandbox.allowing(readable=[toolconfig]),
        )


@check("format.black")
async def black_format(ctx: CheckContext) -> Outcome:
    """``black --check`` (project line length, nothing else) would change no file."""
    files = [f for f in await ctx.fact(PROJECT_FILES) if f.endswith((".py", ".pyi"))]
    dirs = lint_dirs(await ctx.fact(LAYOUT))
    targets = [f for f in files if f.startswith(tuple(f"{d}/" for d in dirs))]
    if not targets:
        return Outcome.failed(f"no Python files under {' or '.join(dirs) or 'a located package'}")
    length = project_line_length(await tool_config(ctx))
    workdir = ctx.facts.options.workdir
    config = await asyncio.to_thread(_write_black_config, workdir, length)
    argv = [tool("black"), "--check", "--config", str(config), *targets]
    result = await run_tool(ctx, argv)
    findings = black_findings(result.stderr)
    if result.timed_out or (result.returncode not in (0, 1, 123) and not findings):
        raise tool_failure("black", result)
    return Outcome.from_findings(capped(findings), "files Black would reformat", line_length=length)


# ---------------------------------------------------------------------------- mypy


def mypy_findings(output: str) -> list[Finding]:
    """Errors from ``mypy -O json`` output (one JSON object per line; notes dropped)."""
    findings = []
    for line in output.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if not isinstance(entry, dict) or entry.get("severity") != "error":
            continue
        code = f" [{entry['code']}]" if entry.get("code") else ""
        message = f"{entry.get('message', '')}{code}"
        findings.append(Finding(message, str(entry.get("file", "")) or None, entry.get("line")))
    return findings


def mypy_argv(python: Path, cache: Path, config: Path, target: str) -> list[str]:
    """The mypy command line: harness mypy and config, the project's interpreter."""
    return [
        tool("mypy"),
        "--config-file",
        str(config),
        "--strict",
        "--python-executable",
        str(python),
        "--cache-dir",
        str(cache),
        "-O",
        "json",
        target,
    ]


def _truthy(value: object) -> bool:
    """A TOML boolean or an ini string meaning true."""
    return value is True or (isinstance(value, str) and value.strip().lower() in TRUE_WORDS)


def _codes(value: object) -> list[str]:
    """Error codes of a ``disable_error_code`` value (TOML list or comma-separated text)."""
    items = value if isinstance(value, list) else str(value or "").split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def carried_options(options: dict[str, Any]) -> dict[str, str]:
    """Of one override's options, those that only excuse missing third-party types."""
    carried = {key: "True" for key in CARRIED_FLAGS if _truthy(options.get(key))}
    codes = [c for c in _codes(options.get("disable_error_code")) if c in IMPORT_ERROR_CODES]
    if codes:
        carried["disable_error_code"] = ", ".join(codes)
    return carried


def _ini_overrides(sections: IniSections, prefix: str) -> list[tuple[list[str], dict[str, Any]]]:
    """``[mypy-<patterns>]`` sections of an ini file (``[mypy-a.*,b]``)."""
    return [
        ([p.strip() for p in name.removeprefix(prefix).split(",")], dict(options))
        for name, options in sections.items()
        if name.startswith(prefix)
    ]


def _toml_overrides(config: ProjectToolConfig) -> list[tuple[list[str], dict[str, Any]]]:
    """``[[tool.mypy.overrides]]`` of the project's pyproject.toml."""
    overrides = config.tool("mypy").get("overrides", [])
    found = []
    for override in overrides if isinstance(overrides, list) else []:
        modules = override.get("module") if isinstance(override, dict) else None
        patterns = [modules] if isinstance(modules, str) else _string_list(modules) or []
        found.append((patterns, override))
    return found


def project_mypy_overrides(config: ProjectToolConfig) -> list[tuple[list[str], dict[str, Any]]]:
    """Per-module overrides of every mypy configuration file of the project."""
    found = _toml_overrides(config)
    for name in ("mypy.ini", ".mypy.ini", "setup.cfg"):
        found += _ini_overrides(config.ini.get(name, {}), "mypy-")
    return found


def third_party(pattern: str, own: set[str]) -> bool:
    """Whether a module pattern names only modules outside the project (``aiokafka.*``)."""
    return bool(MODULE_PATTERN.fullmatch(pattern)) and pattern.partition(".")[0] not in own


def carried_sections(config: ProjectToolConfig, own: set[str]) -> str:
    """Ini sections carrying the project's import excuses for third-party modules."""
    sections: dict[str, dict[str, str]] = {}
    for patterns, options in project_mypy_overrides(config):
        carried = carried_options(options)
        for pattern in (p for p in patterns if carried and third_party(p, own)):
            sections.setdefault(pattern, {}).update(carried)
    return "".join(
        f"\n[mypy-{pattern}]\n" + "".join(f"{k} = {v}\n" for k, v in options.items())
        for pattern, options in sorted(sections.items())
    )


def write_mypy_config(workdir: Path, settings: ProjectToolConfig, own: set[str]) -> Path:
    """The harness's mypy.ini plus the project's third-party import excuses, in ``workdir``."""
    config = workdir / "toolconfig" / "mypy.ini"
    config.parent.mkdir(parents=True, exist_ok=True)
    harness = (TOOLCONFIG / "mypy.ini").read_text(encoding="utf-8")
    config.write_text(harness + carried_sections(settings, own), encoding="utf-8")
    return config


def own_modules(files: Iterable[str], layout: ProjectLayout) -> set[str]:
    """Top-level names of the project's code and tests (``app``, ``tests``), never excused."""
    dirs = lint_dirs(layout)
    code = [f for f in files if f.endswith((".py", ".pyi")) and any(in_dir(f, d) for d in dirs)]
    return ({module_name(f).partition(".")[0] for f in code} | {layout.package, *dirs}) - {""}


def mypy_path(project: Path, layout: ProjectLayout) -> str:
    """The directory holding the package (``src`` for a src layout, else the project)."""
    parent = layout.package_dir.rpartition("/")[0]
    return str(project / parent) if parent else str(project)


async def package_dir(ctx: CheckContext) -> str | None:
    """The located application package, when it holds Python files."""
    layout = await ctx.fact(LAYOUT)
    found = existing_dirs(await ctx.fact(PROJECT_FILES), [layout.package_dir])
    return found[0] if layout.package_dir and found else None


@check("types.mypy", requires=(INSTALL_ITEM,))
async def mypy_strict(ctx: CheckContext) -> Outcome:
    """``mypy --strict`` with the harness's config reports no error in the package."""
    package = await package_dir(ctx)
    if package is None:
        return Outcome.failed(NO_PACKAGE)
    installed = await ctx.fact(INSTALLED_ENV)
    cache = installed.python.parent.parent / ".evals-mypy-cache"
    files: tuple[str, ...] = await ctx.fact(PROJECT_FILES)
    layout = await ctx.fact(LAYOUT)
    own = own_modules(files, layout)
    settings = await tool_config(ctx)
    config = await asyncio.to_thread(write_mypy_config, ctx.facts.options.workdir, settings, own)
    env = {**tool_env(), "MYPYPATH": mypy_path(ctx.project, layout)}
    await asyncio.to_thread(cache.mkdir, exist_ok=True)
    result = await run_tool(ctx, mypy_argv(installed.python, cache, config, package), env, cache)
    findings = mypy_findings(result.stdout)
    if result.timed_out or (result.returncode != 0 and not findings):
        raise tool_failure("mypy", result)
    return Outcome.from_findings(capped(findings), "mypy errors", errors=len(findings))


# ---------------------------------------------------------------------------- bandit


def bandit_findings(output: str) -> list[Finding]:
    """Issues from ``bandit -f json`` output.

    Raises:
        ValueError: If the output is not Bandit's JSON report.
    """
    report = json.loads(output)
    findings = [
        Finding(
            f"Bandit could not scan this file: {error.get('reason', '')}", error.get("filename")
        )
        for error in report.get("errors", [])
    ]
    for issue in report["results"]:
        message = (
            f"{issue.get('test_id')} {issue.get('issue_text', '').strip()} "
            f"(severity {issue.get('issue_severity')}, confidence {issue.get('issue_confidence')})"
        )
        findings.append(Finding(message, issue.get("filename"), issue.get("line_number")))
    return findings


@check("security.bandit")
async def bandit_scan(ctx: CheckContext) -> Outcome:
    """Bandit finds no medium-or-higher severity issue (medium+ confidence) in the package."""
    package = await package_dir(ctx)
    if package is None:
        return Outcome.failed(NO_PACKAGE)
    argv = [tool("bandit"), "-r", package, "-ll", "-ii", "-f", "json", "-q"]
    argv += ["--ini", str(TOOLCONFIG / "bandit.ini")]
    result = await run_tool(ctx, argv)
    try:
        findings = bandit_findings(result.stdout)
    except (ValueError, KeyError, TypeError):
        raise tool_failure("bandit", result) from None
    return Outcome.from_findings(capped(findings), "Bandit issues", issues=len(findings))


# ---------------------------------------------------------------------------- pip-audit

# Installed by the venv itself, not by the project: never audited.
VENV_SEED_PACKAGES = frozenset({"pip", "setuptools", "wheel"})
NAMES_SHOWN = 8


def normalise(name: str) -> str:
    """PEP 503 normalised distribution name."""
    return "-".join(name.lower().replace("_", "-").replace(".", "-").split("-"))


def _metadata_name_version(metadata: str) -> tuple[str, str] | None:
    """``(Name, Version)`` from a METADATA file's headers."""
    fields: dict[str, str] = {}
    for line in metadata.splitlines():
        if not line.strip():
            break
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    if "Name" in fields and "Version" in fields:
        return fields["Name"], fields["Version"]
    return None


def installed_distributions(site_packages: Path, skip: Iterable[str]) -> dict[str, str]:
    """Normalised name -> version of the distributions in ``site_packages``, minus ``skip``."""
    skipped = {normalise(s) for s in (*skip, *VENV_SEED_PACKAGES)}
    found: dict[str, str] = {}
    for meta in sorted(site_packages.glob("*.dist-info/METADATA")):
        parsed = _metadata_name_version(meta.read_text(encoding="utf-8", errors="replace"))
        if parsed and normalise(parsed[0]) not in skipped:
            found[normalise(parsed[0])] = parsed[1]
    return found


def _lock_line(project: Path, name: str) -> tuple[str | None, int | None]:
    """Where ``name`` is pinned in poetry.lock, for a finding's location."""
    try:
        lines = (project / "poetry.lock").read_text(encoding="utf-8").splitlines()
    except OSError:
        return None, None
    for number, line in enumerate(lines, start=1):
        if line.strip() == f'name = "{name}"':
            return "poetry.lock", number
    return None, None


def audit_findings(report: dict[str, Any], project: Path) -> tuple[list[Finding], list[str]]:
    """Vulnerabilities (as findings) and the names pip-audit could not audit.

    Raises:
        KeyError: If the report has no ``dependencies`` list.
    """
    findings: list[Finding] = []
    unaudited: list[str] = []
    for dep in report["dependencies"]:
        if dep.get("skip_reason"):
            unaudited.append(str(dep.get("name")))
            continue
        for vuln in dep.get("vulns", []):
            fixes = ", ".join(vuln.get("fix_versions", [])) or "none"
            message = f"{dep['name']} {dep.get('version')}: {vuln.get('id')} (fixed in: {fixes})"
            findings.append(Finding(message, *_lock_line(project, str(dep["name"]))))
    return findings, unaudited


def audit_outcome(report: dict[str, Any], project: Path) -> Outcome:
    """The verdict on a pip-audit JSON report: vulnerabilities fail, unaudited is an error."""
    findings, unaudited = audit_findings(report, project)
    audited = len(report["dependencies"]) - len(unaudited)
    if findings:
        return Outcome.failed(f"{len(findings)} known vulnerabilities", findings, audited=audited)
    if unaudited or not audited:
        names = ", ".join(unaudited[:NAMES_SHOWN])
        names += " ..." if len(unaudited) > NAMES_SHOWN else ""
        return Outcome.errored(
            f"the vulnerability service could not be reached or did not know "
            f"{len(unaudited)} dependencies ({names}); not verified",
            unaudited=len(unaudited),
        )
    return Outcome.passed("", audited=audited)


def _write_requirements(installed: InstalledEnv, target: Path) -> int:
    """Pin the environment's distributions in ``target``; returns how many."""
    if installed.site_packages is None:
        raise ToolError("the installed environment has no site-packages")
    pins = installed_distributions(installed.site_packages, installed.added_tools)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("".join(f"{n}=={v}\n" for n, v in sorted(pins.items())), "utf-8")
    return len(pins)


def unreachable_reason(result: ProcResult) -> str:
    """A one-line reason for a pip-audit run that produced no report."""
    text = result.stdout + "\n" + result.stderr
    for marker in ("ConnectionError", "NameResolutionError", "Max retries", "timed out"):
        if marker in text:
            return f"the vulnerability service is unreachable ({marker}); not verified"
    return f"pip-audit failed (exit {result.returncode}): {result.tail(3)}"


async def run_pip_audit(facts: Facts, requirements: Path) -> ProcResult:
    """pip-audit on pinned requirements, without resolving or installing anything."""
    argv = [tool("pip-audit"), "-r", str(requirements), "--no-deps", "--disable-pip"]
    argv += ["-f", "json", "--progress-spinner", "off", "--timeout", "30"]
    sandbox = await project_sandbox(facts)
    return await run(
        argv,
        cwd=facts.project,
        env=tool_env(),
        timeout_s=TOOL_TIMEOUT_S,
        output_cap=JSON_OUTPUT_CAP,
        sandbox=sandbox.allowing(readable=[requirements.parent], network=True),
    )


@check("security.dependencies", requires=(INSTALL_ITEM,))
async def pip_audit(ctx: CheckContext) -> Outcome:
    """pip-audit knows no vulnerability in the project's installed dependencies.

    When the vulnerability service cannot be reached, or any dependency could not be
    audited, the result is ``error``: an unverified audit never passes.
    """
    installed = await ctx.fact(INSTALLED_ENV)
    requirements = ctx.facts.options.workdir / "pip-audit" / "requirements.txt"
    count = await asyncio.to_thread(_write_requirements, installed, requirements)
    if not count:
        return Outcome.passed("the project installs no third-party distribution", audited=0)
    result = await run_pip_audit(ctx.facts, requirements)
    try:
        report = json.loads(result.stdout)
        return audit_outcome(report, ctx.project)
    except (ValueError, KeyError, TypeError):
        return Outcome.errored(unreachable_reason(result))
